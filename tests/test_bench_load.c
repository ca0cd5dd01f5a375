/* The bench's load verdict (apps/bench/bench_load.c) on made-up readings: the
 * proc files are parsed (and a missing or malformed one gives no figure),
 * and an interval is busy when other processes used more than a tenth of
 * the cores, when steal passed 3%, or when the load average without the
 * bench's own ranks was above the cores; quiet otherwise, and not judged
 * where the figures cannot say (a short interval, counters that went
 * back). Not collective: every rank checks the same cases. */
#include "testutil.h"

#include <math.h>

#include "bench_load.h"

static char dir[512];

static void write_file(const char *name, const char *text)
{
    if (tu_rank() == 0) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

static void setup(void)
{
    tu_tmpdir_make(dir, sizeof dir, "bench-load");
}

static void teardown(void)
{
    tu_tmpdir_remove(dir);
}

START_TEST(reads_proc_files)
{
    bench_load_sample s;
    write_file("loadavg", "2.50 1.00 0.50 3/200 1234\n");
    write_file("stat", "cpu  100 5 50 800 10 3 2 7 0 0\ncpu0 50 2 25 400 5 1 1 3 0 0\n");
    TU_CHECK(bench_load_read(dir, &s) == 0);
    TU_ASSERT(s.loadavg == 2.5, "loadavg %g", s.loadavg);
    /* busy is user + nice + system + irq + softirq; total is user .. steal. */
    TU_ASSERT(s.have_stat && s.busy == 160 && s.steal == 7 && s.total == 977,
              "busy %llu steal %llu total %llu", s.busy, s.steal, s.total);

    /* A kernel without the steal field: steal counts as 0. */
    write_file("stat", "cpu  100 5 50 800\n");
    TU_CHECK(bench_load_read(dir, &s) == 0 && s.have_stat && s.steal == 0 && s.total == 955);

    /* A stat without the cpu line, a loadavg that is not a number. */
    write_file("stat", "intr 5 6 7\n");
    write_file("loadavg", "high\n");
    TU_CHECK(bench_load_read(dir, &s) < 0 && !s.have_stat && isnan(s.loadavg));

    /* No files at all. */
    char none[600];
    snprintf(none, sizeof none, "%s/missing", dir);
    TU_CHECK(bench_load_read(none, &s) < 0 && !s.have_stat && isnan(s.loadavg));
}
END_TEST

START_TEST(proc_dir_from_environment)
{
    tu_env e = tu_env_save("PARRAY_BENCH_PROC");
    unsetenv("PARRAY_BENCH_PROC");
    TU_CHECK(strcmp(bench_load_proc(), "/proc") == 0);
    setenv("PARRAY_BENCH_PROC", dir, 1);
    TU_CHECK(strcmp(bench_load_proc(), dir) == 0);
    tu_env_restore(&e);
}
END_TEST

/* A reading: load average, then busy, steal and total ticks. */
static bench_load_sample sample(double la, unsigned long long busy, unsigned long long steal,
                                unsigned long long total)
{
    return (bench_load_sample){la, busy, steal, total, 1};
}

/* 10 s on 2 cores at 100 ticks/s: 2000 ticks in all. */
#define WALL 10.0
#define HZ 100.0

START_TEST(judges_intervals)
{
    bench_load l;
    bench_load_sample before = sample(0.5, 1000, 0, 10000);

    /* The bench's 2 ranks used 19.5 of the 20 CPU seconds the host was busy:
     * others used 0.05 cores, under a tenth of 2. */
    bench_load_sample after = sample(1.9, 3000, 0, 12000);
    bench_load_judge(&before, &after, 19.5, WALL, HZ, 2, 2, &l);
    TU_ASSERT(l.busy == 0 && fabs(l.others - 0.05) < 1e-9 && l.steal == 0,
              "busy %d others %g steal %g", l.busy, l.others, l.steal);

    /* Others used 0.5 cores. */
    bench_load_judge(&before, &after, 15.0, WALL, HZ, 2, 2, &l);
    TU_ASSERT(l.busy == BENCH_BUSY_BY_OTHERS && fabs(l.others - 0.5) < 1e-9, "busy %d others %g",
              l.busy, l.others);

    /* The hypervisor took 100 of 2000 ticks: 5%. */
    after = sample(1.9, 2900, 100, 12000);
    bench_load_judge(&before, &after, 19.0, WALL, HZ, 2, 2, &l);
    TU_ASSERT(l.busy == BENCH_BUSY_BY_STEAL && fabs(l.steal - 0.05) < 1e-12, "busy %d steal %g",
              l.busy, l.steal);

    /* Load average 4.5: 2.5 without the bench's 2 ranks, above 2 cores;
     * 3.9 is 1.9 without them, not above. */
    after = sample(4.5, 3000, 0, 12000);
    bench_load_judge(&before, &after, 19.5, WALL, HZ, 2, 2, &l);
    TU_CHECK(l.busy == BENCH_BUSY_BY_LOADAVG && l.loadavg_after == 4.5);
    after.loadavg = 3.9;
    bench_load_judge(&before, &after, 19.5, WALL, HZ, 2, 2, &l);
    TU_CHECK(l.busy == 0);

    /* Under a second the ticks are too coarse to judge the others. */
    after = sample(1.9, 1100, 0, 10100);
    bench_load_judge(&before, &after, 0.0, 0.5, HZ, 2, 2, &l);
    TU_CHECK(l.busy == 0 && isnan(l.others) && l.steal == 0);

    /* Counters that went back (another host's, or a test's fixed file)
     * give no verdict on the CPU time. */
    after = sample(1.9, 500, 0, 9000);
    bench_load_judge(&before, &after, 0.0, WALL, HZ, 2, 2, &l);
    TU_CHECK(l.busy == 0 && isnan(l.others) && isnan(l.steal));
    bench_load_judge(&before, &before, 0.0, WALL, HZ, 2, 2, &l);
    TU_CHECK(l.busy == 0 && isnan(l.others) && isnan(l.steal));

    /* Unreadable files: no verdict at all. */
    bench_load_sample none = {NAN, 0, 0, 0, 0};
    bench_load_judge(&none, &none, 0.0, WALL, HZ, 2, 2, &l);
    TU_CHECK(l.busy == 0 && isnan(l.others) && isnan(l.steal) && isnan(l.loadavg_after));

    /* At the start nothing of the bench runs yet: above the cores is busy. */
    TU_CHECK(bench_load_busy_at_start(2.5, 2));
    TU_CHECK(!bench_load_busy_at_start(1.9, 2));
    TU_CHECK(!bench_load_busy_at_start(NAN, 2));
}
END_TEST

START_TEST(describes_the_reason_first)
{
    bench_load l;
    char buf[512];
    bench_load_sample before = sample(0.5, 1000, 0, 10000);
    bench_load_sample after = sample(5.0, 2900, 100, 12000);
    bench_load_judge(&before, &after, 14.0, WALL, HZ, 2, 2, &l);
    TU_CHECK(l.busy == (BENCH_BUSY_BY_OTHERS | BENCH_BUSY_BY_STEAL | BENCH_BUSY_BY_LOADAVG));
    bench_load_describe(&l, buf, sizeof buf);
    TU_ASSERT(strcmp(buf, "other processes used 0.5 of 2 cores; steal 5.0% (CPU time the "
                          "hypervisor took); load average 5.00 on 2 cores, above the cores "
                          "without the bench's own ranks") == 0,
              "'%s'", buf);

    /* Busy by steal alone: steal first, the quiet measures after it. */
    after = sample(1.0, 2900, 100, 12000);
    bench_load_judge(&before, &after, 19.0, WALL, HZ, 2, 2, &l);
    bench_load_describe(&l, buf, sizeof buf);
    TU_ASSERT(strncmp(buf, "steal 5.0%", 10) == 0 && strstr(buf, "; other processes used 0 of"),
              "'%s'", buf);

    bench_load_sample none = {NAN, 0, 0, 0, 0};
    bench_load_judge(&none, &none, 0.0, WALL, HZ, 2, 2, &l);
    bench_load_describe(&l, buf, sizeof buf);
    TU_ASSERT(strstr(buf, "unreadable") != NULL, "'%s'", buf);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("bench_load");
    TCase *tc = tu_tcase(s, "bench_load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reads_proc_files);
    tcase_add_test(tc, proc_dir_from_environment);
    tcase_add_test(tc, judges_intervals);
    tcase_add_test(tc, describes_the_reason_first);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
