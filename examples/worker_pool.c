// SPDX-License-Identifier: MIT
/*
 * worker_pool - a pool of worker processes fed through a semaphore.
 *
 * What it shows:
 *   - a KIPC_EVENT_SEMAPHORE that counts pending jobs: one post of n
 *     releases n jobs, and each kipc_event_wait() takes exactly one, so
 *     every job goes to exactly one worker;
 *   - a KIPC_EVENT_COUNTER the workers post once per finished job; the
 *     master's wait takes everything that accumulated at once, as with
 *     eventfd;
 *   - a shared region holding the jobs and their results, mapped by every
 *     process (kipc_region_map), whose totals the workers update under a
 *     robust lock (kipc_lock) taken through the region handle they
 *     inherited with fork(): the lock's owner is the thread that takes
 *     it, so forked workers exclude each other on one shared handle;
 *   - a start barrier: the master releases jobs once every worker has
 *     opened the pool (another counter), so none can miss it;
 *   - shutdown by owner death: the master closes the semaphore it owns,
 *     which kills it, and every worker asleep in kipc_event_wait() wakes
 *     with -EPIPE and exits.  No poison pills, and the same happens if the
 *     master crashes.
 *
 * The program forks NWORKERS workers, runs NJOBS Collatz computations
 * through them, checks every result and exits 0 when all are right.
 * Needs /dev/kipc.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define SEC		1000000000LL
#define TIMEOUT		(30 * SEC)
#define NWORKERS	4
#define NJOBS		400

struct job {
	uint64_t input;
	uint64_t steps;		/* the result */
	int32_t worker;		/* pid of the worker that ran it */
	uint32_t __pad;
};

/* The shared region's layout. */
struct pool {
	uint32_t next;		/* next job to take (atomic) */
	uint32_t njobs;
	uint32_t lock;		/* robust lock over the totals below */
	uint32_t ndone;		/* jobs finished, under the lock */
	uint64_t total_steps;	/* their steps summed, under the lock */
	struct job jobs[NJOBS];
};

#define POOL_LOCK	offsetof(struct pool, lock)

struct names {
	char sem[64], done[64], ready[64], region[64];
};

static void fail(const char *what, long ret)
{
	fprintf(stderr, "worker_pool: %s: %s\n", what, strerror((int)-ret));
	exit(1);
}

/* The job: steps of the Collatz sequence from n down to 1. */
static uint64_t collatz(uint64_t n)
{
	uint64_t steps = 0;

	while (n > 1) {
		n = n % 2 ? 3 * n + 1 : n / 2;
		steps++;
	}
	return steps;
}

/* Add one job's result to the totals, under the robust lock. */
static void account(int region, struct pool *pool, uint64_t steps)
{
	int ret = kipc_lock(region, POOL_LOCK, TIMEOUT);

	if (ret == -EOWNERDEAD) {
		/*
		 * A worker died holding it.  Each update below is complete
		 * or not started once the lock is ours again, so there is
		 * nothing to repair: mark the totals consistent.
		 */
		ret = kipc_lock_consistent(region, POOL_LOCK);
	}
	if (ret < 0)
		fail("lock the totals", ret);
	pool->ndone++;
	pool->total_steps += steps;
	ret = kipc_unlock(region, POOL_LOCK);
	if (ret < 0)
		fail("unlock the totals", ret);
}

/* @region is the master's handle, inherited with fork(), mapped at @pool. */
static int worker(const struct names *nm, int region, struct pool *pool)
{
	unsigned int mine = 0;
	uint32_t i;
	int sem, done, ready, ret;

	/* Waiting takes from the semaphore: read access is enough. */
	sem = kipc_event_open(nm->sem, KIPC_RDONLY);
	if (sem < 0)
		fail("open semaphore", sem);
	done = kipc_event_open(nm->done, KIPC_WRONLY);
	if (done < 0)
		fail("open counter", done);
	/* Everything is open: tell the master this worker is in. */
	ready = kipc_event_open(nm->ready, KIPC_WRONLY);
	if (ready < 0)
		fail("open ready counter", ready);
	ret = kipc_event_post(ready, 1);
	if (ret < 0)
		fail("post ready", ret);
	close(ready);

	for (;;) {
		/* Sleep until a job is released, then take exactly one. */
		ret = kipc_event_wait(sem, NULL, -1);
		if (ret == -EPIPE)
			break;		/* the master closed the pool */
		if (ret < 0)
			fail("wait for a job", ret);

		i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);
		if (i >= pool->njobs) {
			fprintf(stderr, "worker_pool: more jobs taken than posted\n");
			exit(1);
		}
		pool->jobs[i].steps = collatz(pool->jobs[i].input);
		pool->jobs[i].worker = getpid();
		account(region, pool, pool->jobs[i].steps);
		mine++;

		/* The kernel's locking orders the result before the post. */
		ret = kipc_event_post(done, 1);
		if (ret < 0)
			fail("post result", ret);
	}
	printf("worker %d: ran %u jobs\n", (int)getpid(), mine);
	kipc_region_unmap(region);
	close(region);
	close(done);
	close(sem);
	return 0;
}

int main(void)
{
	struct kipc_event_stat st;
	struct names nm;
	struct pool *pool;
	uint64_t joined = 0, finished = 0, got;
	pid_t pids[NWORKERS];
	int sem, done, ready, region, ret, status, failed = 0;
	unsigned int i, w;
	size_t size;
	void *addr;

	snprintf(nm.sem, sizeof(nm.sem), "/example.pool.%d.jobs", (int)getpid());
	snprintf(nm.done, sizeof(nm.done), "/example.pool.%d.done",
		 (int)getpid());
	snprintf(nm.ready, sizeof(nm.ready), "/example.pool.%d.ready",
		 (int)getpid());
	snprintf(nm.region, sizeof(nm.region), "/example.pool.%d.table",
		 (int)getpid());

	/* The master owns everything: the pool lives as long as it does. */
	sem = kipc_event_create(nm.sem, KIPC_EVENT_SEMAPHORE, 0, 0, 0600);
	if (sem < 0)
		fail("create semaphore", sem);
	done = kipc_event_create(nm.done, KIPC_EVENT_COUNTER, 0, 0, 0600);
	if (done < 0)
		fail("create counter", done);
	ready = kipc_event_create(nm.ready, KIPC_EVENT_COUNTER, 0, 0, 0600);
	if (ready < 0)
		fail("create ready counter", ready);
	region = kipc_region_create(nm.region, sizeof(struct pool), 0, 0600);
	if (region < 0)
		fail("create region", region);
	ret = kipc_region_map(region, &addr, &size);
	if (ret < 0)
		fail("map region", ret);
	pool = addr;
	ret = kipc_lock_init(region, POOL_LOCK);
	if (ret < 0)
		fail("init lock", ret);

	for (w = 0; w < NWORKERS; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			return 1;
		if (pids[w] == 0) {
			/*
			 * Forked handles are the master's own.  The events
			 * are dropped and opened by name, as a separate
			 * program would: keeping the semaphore's owner handle
			 * open would keep it alive after the master closes
			 * its copy.  The region handle and its mapping are
			 * kept and shared: its locks exclude every worker.
			 */
			close(ready);
			close(done);
			close(sem);
			exit(worker(&nm, region, pool));
		}
	}

	/* Wait until every worker has the pool open. */
	while (joined < NWORKERS) {
		ret = kipc_event_wait(ready, &got, TIMEOUT);
		if (ret < 0)
			fail("wait for workers", ret);
		joined += got;
	}
	close(ready);

	/* Fill the job table, then release every job with one post. */
	pool->njobs = NJOBS;
	for (i = 0; i < NJOBS; i++)
		pool->jobs[i].input = 1000 + 37 * i;
	ret = kipc_event_post(sem, NJOBS);
	if (ret < 0)
		fail("post jobs", ret);

	/* A counter wait takes everything posted since the last one. */
	while (finished < NJOBS) {
		ret = kipc_event_wait(done, &got, TIMEOUT);
		if (ret < 0)
			fail("wait for results", ret);
		finished += got;
	}

	for (i = 0, got = 0; i < NJOBS; i++) {
		if (pool->jobs[i].steps != collatz(pool->jobs[i].input) ||
		    !pool->jobs[i].worker) {
			fprintf(stderr, "worker_pool: job %u is wrong\n", i);
			return 1;
		}
		got += pool->jobs[i].steps;
	}
	/* The totals the workers kept under the lock are exact. */
	if (pool->ndone != NJOBS || pool->total_steps != got) {
		fprintf(stderr, "worker_pool: totals %u jobs, %llu steps; want %u, %llu\n",
			pool->ndone, (unsigned long long)pool->total_steps,
			NJOBS, (unsigned long long)got);
		return 1;
	}
	printf("totals under the lock: %u jobs, %llu steps\n", pool->ndone,
	       (unsigned long long)pool->total_steps);
	ret = kipc_event_stat(sem, &st);
	if (ret < 0)
		fail("stat", ret);
	printf("semaphore: %llu posts, %llu jobs taken, %u workers asleep\n",
	       (unsigned long long)st.posts, (unsigned long long)st.waits,
	       st.waiters);
	if (st.waits != NJOBS || st.count != 0) {
		fprintf(stderr, "worker_pool: semaphore counts are wrong\n");
		return 1;
	}

	/* Closing the owner handle kills the semaphore: workers get -EPIPE. */
	close(sem);
	for (w = 0; w < NWORKERS; w++) {
		if (waitpid(pids[w], &status, 0) != pids[w] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	if (failed) {
		fprintf(stderr, "worker_pool: %d workers failed\n", failed);
		return 1;
	}
	kipc_region_unmap(region);
	close(region);
	close(done);
	printf("worker_pool: %u jobs on %u workers: ok\n", NJOBS, NWORKERS);
	return 0;
}
