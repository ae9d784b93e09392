// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy selftest: drive vbuddy_test_driver.ko through its debugfs control
 * file and check what the debugfs files of a pool show against states whose
 * contents are known: an empty pool, a checkerboard, a GFP_VIRTOK fallback,
 * a pool fragmented by movable blocks and compacted, and the pool after a
 * release. The fragmentation indices are recomputed here with the formulas
 * of mm/vmstat.c.
 *
 * Needs debugfs at /sys/kernel/debug, vbuddy.ko and vbuddy_test_driver.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#define DEBUGFS		"/sys/kernel/debug"
#define CONTROL		DEBUGFS "/vbuddy_test/control"
#define POOL		"kst"
#define POOL_DIR	DEBUGFS "/vbuddy/" POOL
#define POOL_PAGES	1024UL
#define DEFAULT_STATS	DEBUGFS "/vbuddy/default/stats"
#define TAINTED		"/proc/sys/kernel/tainted"
#define TAINT_WARN	0x200UL		/* bit 9, 'W': the kernel warned */
#define NR_ORDERS	11		/* orders 0..VBUDDY_MAX_ORDER */
#define PAGEMAP_COLS	64
#define TEXT_SIZE	65536
#define LINE_SIZE	256

/* The fixed part of a buddyinfo or extfrag line, as mm/vmstat.c prints it. */
#define ZONE_FMT	"Node 0, zone %8s "

/* What a pool's debugfs files show at one moment. */
struct snap {
	char buddyinfo[LINE_SIZE];
	unsigned long nr_free[NR_ORDERS];
	char extfrag[4 * LINE_SIZE];
	char stats[4096];
	char window[4096];
	char map[TEXT_SIZE];		/* pagemap without the newlines */
	unsigned long nr_map;		/* pages in the pagemap */
	unsigned long free_pages;	/* from buddyinfo */
};

/* The lines of a stats file besides alloc_order<n> and alloc_fail_order<n>. */
static const char * const stat_names[] = {
	"nr_pages", "free_pages", "cached_pages", "free", "bad_input",
	"virt_served", "virt_pages_mapped", "virt_freed", "virt_refused_no_pages",
	"virt_refused_no_slot", "virt_refused_atomic", "virt_refused_too_big",
	"virt_refused_map_failed", "pcp_refill", "pcp_drain", "reclaim",
	"slots_in_use", "slots_peak",
};

/* Read a whole file into @buf, NUL-terminated: its length or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len < size - 1 ? (ssize_t)len : -EFBIG;
}

/*
 * Write @len bytes of @cmd to @fd with a single write(2): 0, or the -errno
 * the write failed with (-EIO for a short write).
 */
static int write_cmd(int fd, const char *cmd, size_t len)
{
	ssize_t n = write(fd, cmd, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * The result line @fd holds, read from its start, without its newline, to
 * @res: its length (0 before the first command that succeeded through
 * @fd), or -errno.
 */
static ssize_t read_result(int fd, char *res, size_t size)
{
	ssize_t n = pread(fd, res, size - 1, 0);

	if (n < 0)
		return -errno;
	res[n] = '\0';
	res[strcspn(res, "\n")] = '\0';
	return strlen(res);
}

/*
 * Write one command to a fresh open file of the control file with a single
 * write(2): 0 or the -errno the write failed with. On success the result
 * line, without its newline, goes to @res (if not NULL): results are kept
 * per open file, so it is read through the same one.
 */
static int control(const char *cmd, char *res, size_t size)
{
	ssize_t n;
	int fd, err;

	fd = open(CONTROL, O_RDWR);
	if (fd < 0)
		return -errno;
	err = write_cmd(fd, cmd, strlen(cmd));
	if (!err && res) {
		n = read_result(fd, res, size);
		if (n < 0)
			err = n;
	}
	close(fd);
	return err;
}

/* Read a file of the pool's debugfs directory: its length or -errno. */
static ssize_t read_pool(const char *file, char *buf, size_t size)
{
	char path[LINE_SIZE];

	snprintf(path, sizeof(path), "%s/%s", POOL_DIR, file);
	return read_text(path, buf, size);
}

/*
 * Write @val to a file of the pool's debugfs directory with a single
 * write(2): 0 or -errno.
 */
static int write_pool(const char *file, const char *val)
{
	char path[LINE_SIZE];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", POOL_DIR, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	err = write_cmd(fd, val, strlen(val));
	close(fd);
	return err;
}

/*
 * Parse a buddyinfo line into @nr_free; 0 when it is exactly what
 * mm/vmstat.c's frag_show_print() prints for those counts, else -1.
 */
static int parse_buddyinfo(const char *text, unsigned long nr_free[NR_ORDERS])
{
	char want[LINE_SIZE];
	const char *p = text;
	size_t len;
	char *end;
	int order;

	len = snprintf(want, sizeof(want), ZONE_FMT, POOL);
	if (strncmp(text, want, len))
		return -1;
	p += len;
	for (order = 0; order < NR_ORDERS; order++) {
		nr_free[order] = strtoul(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	for (order = 0; order < NR_ORDERS; order++)
		len += snprintf(want + len, sizeof(want) - len, "%6lu ",
				nr_free[order]);
	snprintf(want + len, sizeof(want) - len, "\n");
	return strcmp(text, want) ? -1 : 0;
}

/* mm/vmstat.c: struct contig_page_info and fill_contig_page_info(). */
struct contig_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void fill_contig_info(const unsigned long nr_free[NR_ORDERS],
			     unsigned int suitable_order,
			     struct contig_info *info)
{
	unsigned int order;

	memset(info, 0, sizeof(*info));
	for (order = 0; order < NR_ORDERS; order++) {
		unsigned long blocks = nr_free[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable +=
				blocks << (order - suitable_order);
	}
}

/* mm/vmstat.c: unusable_free_index() */
static int unusable_index(const unsigned long nr_free[NR_ORDERS],
			  unsigned int order)
{
	struct contig_info info;

	fill_contig_info(nr_free, order, &info);
	if (!info.free_pages)
		return 1000;
	return (info.free_pages - (info.free_blocks_suitable << order)) *
		1000ULL / info.free_pages;
}

/* mm/vmstat.c: __fragmentation_index() */
static int frag_index(const unsigned long nr_free[NR_ORDERS],
		      unsigned int order)
{
	unsigned long requested = 1UL << order;
	struct contig_info info;

	fill_contig_info(nr_free, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return 1000 - (1000 + info.free_pages * 1000ULL / requested) /
		info.free_blocks_total;
}

/* The extfrag file for these free counts, as unusable_show_print() and
 * extfrag_show_print() would print it.
 */
static void render_extfrag(const unsigned long nr_free[NR_ORDERS],
			   char *buf, size_t size)
{
	size_t len;
	int order, i;

	len = snprintf(buf, size, "# unusable_index\n" ZONE_FMT, POOL);
	for (order = 0; order < NR_ORDERS; order++) {
		i = unusable_index(nr_free, order);
		len += snprintf(buf + len, size - len, "%d.%03d ",
				i / 1000, i % 1000);
	}
	len += snprintf(buf + len, size - len,
			"\n# extfrag_index\n" ZONE_FMT, POOL);
	for (order = 0; order < NR_ORDERS; order++) {
		i = frag_index(nr_free, order);
		len += snprintf(buf + len, size - len, "%2d.%03d ",
				i / 1000, i % 1000);
	}
	snprintf(buf + len, size - len, "\n");
}

/*
 * The printed index of @order on line @line (1: unusable, 3: extfrag) of an
 * extfrag file, e.g. "0.000" or "-1.000"; NULL when there is none.
 */
static const char *extfrag_field(const char *text, int line,
				 unsigned int order, char *out, size_t size)
{
	const char *p = text;
	int field;

	while (line--) {
		p = strchr(p, '\n');
		if (!p)
			return NULL;
		p++;
	}
	/* "Node", "0,", "zone", the name, then the orders. */
	for (field = 0; field < 4 + (int)order; field++) {
		p += strspn(p, " ");
		p += strcspn(p, "\n ");
	}
	p += strspn(p, " ");
	if (!*p || *p == '\n')
		return NULL;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n "), p);
	return out;
}

/* The value of "@name <value>" in a stats file, or -1 if it has no such line. */
static long stat_value(const char *stats, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = stats; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtol(p + len + 1, NULL, 10);
	}
	return -1;
}

/*
 * Join the lines of a pagemap into @map: the number of pages, or -1 if a
 * line other than the last is not 64 characters long, a line is longer, or
 * a character is not one of ".PLCVHXM".
 */
static long parse_pagemap(const char *text, char *map, size_t size)
{
	const char *p = text;
	size_t n = 0, len;
	bool short_line = false;

	while (*p) {
		len = strcspn(p, "\n");
		if (short_line || !len || len > PAGEMAP_COLS || p[len] != '\n')
			return -1;
		if (len < PAGEMAP_COLS)
			short_line = true;
		if (strspn(p, ".PLCVHXM") < len || n + len >= size)
			return -1;
		memcpy(map + n, p, len);
		n += len;
		p += len + 1;
	}
	map[n] = '\0';
	return n;
}

static unsigned long count_char(const char *s, char c)
{
	unsigned long n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/*
 * Lines "slot <i> pages <pages> addr <hashed address>" of a window file, of
 * any size if @pages is 0.
 */
static int window_slots(const char *text, unsigned int pages)
{
	unsigned int slot, n;
	unsigned long addr;
	const char *p;
	int found = 0;

	for (p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		/*
		 * Hashed as %p prints it (32 significant bits), never a raw
		 * kernel address (the top of the address space on 64-bit).
		 */
		if (sscanf(p + 1, "slot %u pages %u addr %lx",
			   &slot, &n, &addr) == 3 && (!pages || n == pages) && addr &&
		    (sizeof(addr) == 4 || addr >> 32 == 0))
			found++;
	}
	return found;
}

/*
 * The pcp file: an "order<N> high <h> low <l> batch <b> max <m>" line (or
 * "-" for an order that bypasses the caches) for each cached order, from 0
 * up, then "cpu<N>" lines with as many counts, all of them 0, and the
 * CPU's order-0 mark, "high <h>", which a drain put back to order 0's.
 */
static void assert_pcp_drained(struct __test_metadata *_metadata)
{
	char text[TEXT_SIZE], hi[8], lo[8], batch[8], mx[8], high0[8] = "";
	unsigned int orders = 0, cpus = 0, cpu, i;
	char *line, *save, *p, *end;
	unsigned long count;
	int n;

	ASSERT_LT(0, read_pool("pcp", text, sizeof(text)));
	line = strtok_r(text, "\n", &save);
	for (; line && !strncmp(line, "order", 5); line = strtok_r(NULL, "\n", &save)) {
		n = sscanf(line, "order%u high %7s low %7s batch %7s max %7s",
			   &cpu, hi, lo, batch, mx);
		ASSERT_EQ(5, n) TH_LOG("pcp: '%s'", line);
		ASSERT_EQ(orders, cpu);
		if (!orders)
			memcpy(high0, hi, sizeof(high0));
		orders++;
	}
	ASSERT_LE(4, orders);
	for (; line; line = strtok_r(NULL, "\n", &save), cpus++) {
		n = sscanf(line, "cpu%u", &cpu);
		ASSERT_EQ(1, n) TH_LOG("pcp: '%s'", line);
		p = strchr(line, ' ');
		for (i = 0; p && i < orders; i++, p = end) {
			count = strtoul(p, &end, 10);
			ASSERT_NE(p, end) TH_LOG("pcp: '%s'", line);
			ASSERT_EQ(0, count) TH_LOG("not drained: '%s'", line);
		}
		ASSERT_EQ(orders, i) TH_LOG("pcp: '%s'", line);
		n = sscanf(p, " high %7s", hi);
		ASSERT_EQ(1, n) TH_LOG("pcp: '%s'", line);
		if (strcmp(high0, "-"))
			ASSERT_STREQ(high0, hi) TH_LOG("mark not put back: '%s'", line);
	}
	ASSERT_LT(0, cpus);
}

/*
 * Read every file of the pool and check that they agree: buddyinfo in its
 * exact format, extfrag exactly as mm/vmstat.c computes it from buddyinfo,
 * a pagemap of nr_pages pages with as many '.' as free pages, free_pages
 * in stats equal to the pages of buddyinfo, and the checker saying "ok".
 * The test driver drains the pool after every command, so no page is on a
 * per-CPU list (',' in the pagemap), and the pcp file says so.
 */
static void take_snap(struct __test_metadata *_metadata, struct snap *s)
{
	char text[TEXT_SIZE], want[4 * LINE_SIZE];
	unsigned int slots, in_use, peak;
	long nr_pages, free_pages;
	int order, n;
	size_t i;

	ASSERT_LT(0, read_pool("buddyinfo", s->buddyinfo, sizeof(s->buddyinfo)));
	ASSERT_EQ(0, parse_buddyinfo(s->buddyinfo, s->nr_free))
		TH_LOG("buddyinfo not in /proc/buddyinfo format: '%s'", s->buddyinfo);
	s->free_pages = 0;
	for (order = 0; order < NR_ORDERS; order++)
		s->free_pages += s->nr_free[order] << order;

	ASSERT_LT(0, read_pool("extfrag", s->extfrag, sizeof(s->extfrag)));
	render_extfrag(s->nr_free, want, sizeof(want));
	ASSERT_STREQ(want, s->extfrag);

	ASSERT_LT(0, read_pool("stats", s->stats, sizeof(s->stats)));
	for (i = 0; i < ARRAY_SIZE(stat_names); i++) {
		const char *name = stat_names[i];

		ASSERT_LE(0, stat_value(s->stats, name)) TH_LOG("no %s", name);
	}
	for (order = 0; order < NR_ORDERS; order++) {
		snprintf(want, sizeof(want), "alloc_order%d", order);
		ASSERT_LE(0, stat_value(s->stats, want)) TH_LOG("no %s", want);
		snprintf(want, sizeof(want), "alloc_fail_order%d", order);
		ASSERT_LE(0, stat_value(s->stats, want)) TH_LOG("no %s", want);
	}
	nr_pages = stat_value(s->stats, "nr_pages");
	free_pages = stat_value(s->stats, "free_pages");
	ASSERT_EQ(POOL_PAGES, nr_pages);
	ASSERT_EQ(s->free_pages, free_pages);
	ASSERT_EQ(0, stat_value(s->stats, "cached_pages"));

	ASSERT_LT(0, read_pool("pagemap", text, sizeof(text)));
	ASSERT_EQ(nr_pages, parse_pagemap(text, s->map, sizeof(s->map)))
		TH_LOG("pagemap: %.200s", text);
	s->nr_map = nr_pages;
	ASSERT_EQ(s->free_pages, count_char(s->map, '.'));
	ASSERT_EQ(0, count_char(s->map, ','));
	assert_pcp_drained(_metadata);

	ASSERT_LT(0, read_pool("window", s->window, sizeof(s->window)));
	n = sscanf(s->window, "slots %u in_use %u peak %u", &slots, &in_use,
		   &peak);
	ASSERT_EQ(3, n) TH_LOG("window: %.200s", s->window);
	ASSERT_EQ(in_use, stat_value(s->stats, "slots_in_use"));
	ASSERT_LE(in_use, peak);
	ASSERT_LE(peak, slots);

	ASSERT_LT(0, read_pool("check", text, sizeof(text)));
	ASSERT_STREQ("ok\n", text);
}

/* How far the stat @name moved from @before to @after. */
static long stat_delta(const struct snap *before, const struct snap *after,
		       const char *name)
{
	return stat_value(after->stats, name) - stat_value(before->stats, name);
}

/*
 * The state of a pool with nothing allocated, whatever chunks the kernel
 * gave it: every page free, the unusable index 0.000 for the orders that
 * all free blocks reach, the fragmentation index -1.000 wherever a block of
 * that order or larger exists.
 */
static void assert_empty(struct __test_metadata *_metadata, const struct snap *s)
{
	unsigned int order, smallest = NR_ORDERS;
	bool block = false;
	char field[16];

	ASSERT_EQ(POOL_PAGES, s->free_pages);
	ASSERT_EQ(POOL_PAGES, stat_value(s->stats, "free_pages"));
	ASSERT_EQ(POOL_PAGES, count_char(s->map, '.'));
	ASSERT_EQ(0, stat_value(s->stats, "slots_in_use"));
	for (order = 0; order < NR_ORDERS; order++)
		if (s->nr_free[order] && order < smallest)
			smallest = order;
	for (order = NR_ORDERS; order-- > 0;) {
		if (order <= smallest) {
			ASSERT_NE(NULL, extfrag_field(s->extfrag, 1, order,
						      field, sizeof(field)));
			EXPECT_STREQ("0.000", field) TH_LOG("order %u", order);
		}
		if (s->nr_free[order])
			block = true;
		if (block) {
			ASSERT_NE(NULL, extfrag_field(s->extfrag, 3, order,
						      field, sizeof(field)));
			EXPECT_STREQ("-1.000", field) TH_LOG("order %u", order);
		}
	}
}

/* Whether the kernel has warned since boot ('W' taint): 1, 0 or -errno. */
static int kernel_warned(void)
{
	char text[64];
	ssize_t n;

	n = read_text(TAINTED, text, sizeof(text));
	if (n < 0)
		return n;
	return !!(strtoul(text, NULL, 10) & TAINT_WARN);
}

FIXTURE(kst) {
	struct snap empty;	/* the fresh pool */
	struct snap before;
	struct snap after;
	char res[LINE_SIZE];
	int warned;		/* kernel_warned() before the test */
};

FIXTURE_SETUP(kst)
{
	char cmd[LINE_SIZE];
	int ret;

	if (access(CONTROL, W_OK))
		SKIP(return, "no %s (debugfs, vbuddy_test_driver.ko)", CONTROL);
	self->warned = kernel_warned();
	ASSERT_LE(0, self->warned) TH_LOG("%s: %s", TAINTED, strerror(-self->warned));
	if (self->warned)
		TH_LOG("note: the kernel warned before this test: no check that it does not");
	snprintf(cmd, sizeof(cmd), "create %s %lu", POOL, POOL_PAGES);
	ret = control(cmd, self->res, sizeof(self->res));
	if (ret == -EEXIST) {
		/* Left over by a test that died: start afresh. */
		ASSERT_EQ(0, control("destroy " POOL, NULL, 0));
		ret = control(cmd, self->res, sizeof(self->res));
	}
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", cmd, strerror(-ret));
	ASSERT_STREQ("ok", self->res);
	take_snap(_metadata, &self->empty);
}

/*
 * Every test ends with its pool destroyed and, if the kernel had not warned
 * before it, no warning: nothing written to the control file may make the
 * kernel warn (the qemu stage also fails on any splat in the log).
 */
FIXTURE_TEARDOWN(kst)
{
	int ret = control("destroy " POOL, NULL, 0);

	EXPECT_EQ(0, ret) TH_LOG("destroy: %s", strerror(-ret));
	EXPECT_NE(0, access(POOL_DIR, F_OK)) TH_LOG("%s still there", POOL_DIR);
	if (!self->warned)
		EXPECT_EQ(0, kernel_warned()) TH_LOG("the kernel warned: see dmesg");
}

/* Take every free page, give back those of even pfn: 512 held. */
static void make_checkerboard(struct __test_metadata *_metadata, char *res,
			      size_t size)
{
	ASSERT_EQ(0, control("checkerboard " POOL, res, size));
	ASSERT_STREQ("held 512", res);
}

TEST_F(kst, empty)
{
	struct snap *s = &self->empty;
	unsigned long pages = 0;
	int order;

	for (order = 0; order < NR_ORDERS; order++)
		pages += s->nr_free[order] << order;
	ASSERT_EQ(POOL_PAGES, pages);
	if (s->nr_free[NR_ORDERS - 1] != 1)
		TH_LOG("note: the kernel gave the pool smaller chunks: %s",
		       s->buddyinfo);
	assert_empty(_metadata, s);
	ASSERT_EQ(POOL_PAGES, count_char(s->map, '.'));
	ASSERT_EQ(0, stat_value(s->stats, "virt_served"));
	ASSERT_EQ(0, window_slots(s->window, 0));
}

TEST_F(kst, checkerboard)
{
	struct snap *s = &self->after;
	char field[16];
	unsigned long i;
	int order;

	make_checkerboard(_metadata, self->res, sizeof(self->res));
	take_snap(_metadata, s);

	ASSERT_EQ(512, s->nr_free[0]);
	for (order = 1; order < NR_ORDERS; order++)
		EXPECT_EQ(0, s->nr_free[order]) TH_LOG("order %d", order);

	/* take_snap() compared every index with the vmstat formulas. */
	for (order = 0; order < NR_ORDERS; order++) {
		ASSERT_NE(NULL, extfrag_field(s->extfrag, 1, order, field,
					      sizeof(field)));
		EXPECT_STREQ(order ? "1.000" : "0.000", field)
			TH_LOG("unusable index, order %d", order);
	}
	ASSERT_NE(NULL, extfrag_field(s->extfrag, 3, 0, field, sizeof(field)));
	EXPECT_STREQ("-1.000", field);
	/* Order 1: 1000 - (1000 + 512 * 1000 / 2) / 512 */
	ASSERT_NE(NULL, extfrag_field(s->extfrag, 3, 1, field, sizeof(field)));
	snprintf(self->res, sizeof(self->res), "%d.%03d",
		 frag_index(s->nr_free, 1) / 1000,
		 frag_index(s->nr_free, 1) % 1000);
	EXPECT_STREQ(self->res, field);
	EXPECT_EQ(1000 - (1000 + 512 * 1000 / 2) / 512,
		  frag_index(s->nr_free, 1));

	ASSERT_EQ(512, count_char(s->map, '.'));
	ASSERT_EQ(512, count_char(s->map, 'P'));
	for (i = 1; i < s->nr_map; i++)
		ASSERT_NE(s->map[i - 1], s->map[i])
			TH_LOG("pagemap does not alternate at page %lu", i);
	ASSERT_EQ(POOL_PAGES, stat_delta(&self->empty, s, "alloc_order0"));
}

TEST_F(kst, fallback)
{
	unsigned long long id;
	unsigned int virtual;
	int n;

	make_checkerboard(_metadata, self->res, sizeof(self->res));
	take_snap(_metadata, &self->before);

	/* 4 pages, no contiguous block: refused without GFP_VIRTOK... */
	ASSERT_EQ(-ENOMEM, control("kmalloc " POOL " 16384", NULL, 0));
	take_snap(_metadata, &self->after);
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "alloc_fail_order2"));
	ASSERT_EQ(0, stat_delta(&self->before, &self->after, "virt_served"));
	ASSERT_EQ(512, self->after.free_pages);

	/* ...served from 4 scattered pages with it. */
	ASSERT_EQ(0, control("kmalloc " POOL " 16384 virtok", self->res,
			     sizeof(self->res)));
	n = sscanf(self->res, "id %llu virtual %u", &id, &virtual);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	ASSERT_EQ(1, virtual);
	take_snap(_metadata, &self->after);
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "virt_served"));
	ASSERT_EQ(4, stat_delta(&self->before, &self->after, "virt_pages_mapped"));
	ASSERT_EQ(1, stat_value(self->after.stats, "slots_in_use"));
	ASSERT_LE(1, stat_value(self->after.stats, "slots_peak"));
	ASSERT_EQ(508, self->after.free_pages);
	ASSERT_EQ(508, self->after.nr_free[0]);
	ASSERT_EQ(4, count_char(self->after.map, 'V'));
	ASSERT_EQ(512, count_char(self->after.map, 'P'));
	ASSERT_EQ(1, window_slots(self->after.window, 4))
		TH_LOG("window:\n%s", self->after.window);
}

TEST_F(kst, release)
{
	make_checkerboard(_metadata, self->res, sizeof(self->res));
	ASSERT_EQ(0, control("alloc " POOL " 0", self->res, sizeof(self->res)));
	ASSERT_EQ(0, control("kmalloc " POOL " 16384 virtok", self->res,
			     sizeof(self->res)));
	ASSERT_EQ(0, control("kmalloc " POOL " 100", self->res,
			     sizeof(self->res)));
	take_snap(_metadata, &self->before);
	ASSERT_EQ(1, stat_value(self->before.stats, "slots_in_use"));
	ASSERT_EQ(513, count_char(self->before.map, 'P'));
	ASSERT_EQ(4, count_char(self->before.map, 'V'));
	ASSERT_EQ(1, count_char(self->before.map, 'C'));

	ASSERT_EQ(0, control("release " POOL, self->res, sizeof(self->res)));
	ASSERT_STREQ("ok", self->res);
	take_snap(_metadata, &self->after);
	ASSERT_STREQ(self->empty.buddyinfo, self->after.buddyinfo);
	ASSERT_STREQ(self->empty.extfrag, self->after.extfrag);
	assert_empty(_metadata, &self->after);
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "virt_freed"));
	ASSERT_EQ(0, window_slots(self->after.window, 0));
}

/* One block of each kind, each marked in the pagemap, then given back. */
TEST_F(kst, kinds)
{
	unsigned long long id_p, id_l;
	unsigned int virtual;
	unsigned long pfn;
	int n;

	ASSERT_EQ(0, control("alloc " POOL " 3", self->res, sizeof(self->res)));
	n = sscanf(self->res, "id %llu pfn %lu", &id_p, &pfn);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	ASSERT_EQ(0, pfn & 7) TH_LOG("order-3 block at pfn %lu", pfn);
	ASSERT_EQ(0, control("kmalloc " POOL " 8192", self->res,
			     sizeof(self->res)));
	n = sscanf(self->res, "id %llu virtual %u", &id_l, &virtual);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	ASSERT_EQ(0, virtual);
	ASSERT_EQ(0, control("kmalloc " POOL " 64", self->res,
			     sizeof(self->res)));
	take_snap(_metadata, &self->after);
	ASSERT_EQ(8, count_char(self->after.map, 'P'));
	ASSERT_EQ(2, count_char(self->after.map, 'L'));
	ASSERT_EQ(1, count_char(self->after.map, 'C'));
	ASSERT_EQ(POOL_PAGES - 11, self->after.free_pages);
	ASSERT_EQ(1, stat_delta(&self->empty, &self->after, "alloc_order3"));

	snprintf(self->res, sizeof(self->res), "free %llu", id_p);
	ASSERT_EQ(0, control(self->res, NULL, 0));
	snprintf(self->res, sizeof(self->res), "free %llu", id_l);
	ASSERT_EQ(0, control(self->res, NULL, 0));
	/* Freed: the id is gone. */
	ASSERT_EQ(-ENOENT, control(self->res, NULL, 0));
	take_snap(_metadata, &self->after);
	ASSERT_EQ(0, count_char(self->after.map, 'P'));
	ASSERT_EQ(0, count_char(self->after.map, 'L'));
	ASSERT_EQ(POOL_PAGES - 1, self->after.free_pages);

	ASSERT_EQ(0, control("release " POOL, NULL, 0));
	take_snap(_metadata, &self->after);
	ASSERT_STREQ(self->empty.buddyinfo, self->after.buddyinfo);
}

/*
 * Movable blocks fragment the pool (every free page taken, three of every
 * four given back: 256 kept, nothing free above order 1); an order-4
 * request that may not sleep is refused, compaction through debugfs frees
 * a block of order 4 by moving them, and the request is served; one that
 * may sleep compacts by itself. Release gives the pool back whole.
 */
TEST_F(kst, compaction)
{
	unsigned long long id;
	unsigned long pfn, free4 = 0;
	int order, n;

	/* No background worker: it would compact on its own. */
	ASSERT_EQ(0, write_pool("compaction_proactiveness", "0"));
	ASSERT_EQ(0, control("movable " POOL, self->res, sizeof(self->res)));
	ASSERT_STREQ("held 256", self->res);
	take_snap(_metadata, &self->before);
	ASSERT_EQ(256, count_char(self->before.map, 'M'));
	ASSERT_EQ(POOL_PAGES - 256, self->before.free_pages);
	for (order = 2; order < NR_ORDERS; order++)
		EXPECT_EQ(0, self->before.nr_free[order]) TH_LOG("order %d", order);

	ASSERT_EQ(-ENOMEM, control("alloc " POOL " 4 nowait", NULL, 0));
	ASSERT_EQ(0, write_pool("compact", "4"));
	take_snap(_metadata, &self->after);
	for (order = 4; order < NR_ORDERS; order++)
		free4 += self->after.nr_free[order];
	ASSERT_LE(1, free4) TH_LOG("buddyinfo: %s", self->after.buddyinfo);
	ASSERT_EQ(256, count_char(self->after.map, 'M'));
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "alloc_fail_order4"));
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "compact_runs"));
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "compact_success"));
	ASSERT_LT(0, stat_delta(&self->before, &self->after, "compact_blocks_moved"));
	ASSERT_EQ(stat_delta(&self->before, &self->after, "compact_blocks_moved"),
		  stat_delta(&self->before, &self->after, "compact_pages_moved"));

	ASSERT_EQ(0, control("alloc " POOL " 4 nowait", self->res, sizeof(self->res)));
	n = sscanf(self->res, "id %llu pfn %lu", &id, &pfn);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	ASSERT_EQ(0, pfn & 15) TH_LOG("order-4 block at pfn %lu", pfn);
	/* Until no order-4 block is left, then once more: that one compacts. */
	while (!control("alloc " POOL " 4 nowait", NULL, 0))
		;
	take_snap(_metadata, &self->before);
	ASSERT_EQ(0, control("alloc " POOL " 4", self->res, sizeof(self->res)));
	take_snap(_metadata, &self->after);
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "compact_direct"));
	ASSERT_EQ(256, count_char(self->after.map, 'M'));
	/* A whole span cannot be emptied: 256 pages have to stay somewhere. */
	ASSERT_EQ(-ENOSPC, write_pool("compact", "10"));
	ASSERT_EQ(-EINVAL, write_pool("compact", "11"));

	ASSERT_EQ(0, control("release " POOL, self->res, sizeof(self->res)));
	take_snap(_metadata, &self->after);
	ASSERT_STREQ(self->empty.buddyinfo, self->after.buddyinfo);
	assert_empty(_metadata, &self->after);
}

TEST_F(kst, bad_command)
{
	ASSERT_EQ(-EINVAL, control("bogus", NULL, 0));
	ASSERT_EQ(-ENOENT, control("free 999999", NULL, 0));
	ASSERT_EQ(-ENOENT, control("alloc no_such_pool 0", NULL, 0));
	ASSERT_EQ(-EEXIST, control("create " POOL " 16", NULL, 0));
	take_snap(_metadata, &self->after);
	ASSERT_STREQ(self->empty.buddyinfo, self->after.buddyinfo);
}

/* 31 characters, the longest name; 32, one too many. */
#define NAME10		"nnnnnnnnnn"
#define NAME31		NAME10 NAME10 NAME10 "n"
#define NAME32		NAME31 "n"
#define A31		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* A command and its length (0: strlen(cmd); else it may hold a NUL). */
struct cmd_bytes {
	const char *cmd;
	size_t len;
};

/* Malformed commands, each refused with EINVAL without doing anything. */
static const struct cmd_bytes malformed[] = {
	/* Tokens and spacing. */
	{ "\n" }, { " " }, { "  " }, { "bogus" }, { "bogus " POOL " 0" },
	{ "ALLOC " POOL " 0" }, { "alloc " POOL " 0 " }, { " alloc " POOL " 0" },
	{ "alloc  " POOL " 0" }, { "alloc\t" POOL "\t0" }, { "alloc " POOL " 0\n\n" },
	{ "alloc " POOL " 0\r\n" }, { "alloc " POOL " 0\n " },
	{ "alloc " POOL " 0\0junk", sizeof("alloc " POOL " 0\0junk") - 1 },
	{ "alloc " POOL "\0 0", sizeof("alloc " POOL "\0 0") - 1 },
	{ "alloc " POOL " \xff" }, { "alloc " POOL "\xe9 0" },
	/* Token counts and junk. */
	{ "alloc" }, { "alloc " POOL }, { "alloc " POOL " 0 0" },
	{ "alloc " POOL " 0 junk" }, { "alloc " POOL " 0junk" },
	{ "kmalloc " POOL }, { "kmalloc " POOL " 64 virtok virtok" },
	{ "kmalloc " POOL " 64 VIRTOK" }, { "kmalloc " POOL " 64 virtokx" },
	{ "kmalloc " POOL " 64 junk" }, { "kmalloc " POOL " virtok" },
	{ "free" }, { "free 1 2" }, { "free 1x" }, { "free x" },
	{ "create" }, { "create kst_x" }, { "create kst_x 16 junk" },
	{ "destroy" }, { "destroy " POOL " junk" }, { "checkerboard" },
	{ "checkerboard " POOL " " POOL }, { "release" }, { "release " POOL " 0" },
	{ "movable" }, { "movable " POOL " " POOL }, { "movable " POOL " 0" },
	{ "alloc " POOL " 0 nowait nowait" }, { "alloc " POOL " 0 NOWAIT" },
	{ "alloc " POOL " 0 virtok" }, { "alloc " POOL " nowait" },
	{ "kmalloc " POOL " 64 nowait" },
	/* Numbers: digits only, in range, no wrap. */
	{ "alloc " POOL " -1" }, { "alloc " POOL " +1" }, { "alloc " POOL " 0x1" },
	{ "alloc " POOL " 11" }, { "alloc " POOL " 4294967296" },
	{ "alloc " POOL " 18446744073709551616" }, { "alloc default 11" },
	{ "alloc default 4294967297" }, { "kmalloc " POOL " 0" },
	{ "kmalloc " POOL " 4194305" }, { "kmalloc " POOL " 4294967296" },
	{ "kmalloc " POOL " 18446744073709551616 virtok" }, { "kmalloc default 0" },
	{ "free -1" }, { "free 18446744073709551616" }, { "free 0x1" },
	{ "create kst_x 0" }, { "create kst_x 1073741825" },
	{ "create kst_x 4294967296" }, { "create kst_x -16" },
	/* Names: never cut, so too long is refused. */
	{ "create " NAME32 " 16" }, { "create " A31 "99 1" },
	{ "alloc " NAME32 " 0" }, { "destroy " POOL "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
	/* A name vbuddy refuses. */
	{ "create kst/x 16" },
};

/* @cmd with its control characters and other bytes escaped, for a log. */
static const char *escape(const char *cmd, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < len && n + 5 < size; i++) {
		unsigned char c = cmd[i];

		if (c >= ' ' && c <= '~')
			n += snprintf(out + n, size - n, "%c", c);
		else
			n += snprintf(out + n, size - n, "\\x%02x", c);
	}
	return out;
}

/* The bad_input count of the default pool. */
static long default_bad_input(void)
{
	char text[4096];

	if (read_text(DEFAULT_STATS, text, sizeof(text)) <= 0)
		return -1;
	return stat_value(text, "bad_input");
}

TEST_F(kst, malformed)
{
	char cmd[LINE_SIZE], esc[4 * LINE_SIZE];
	long bad_default;
	size_t i, len;
	int fd, ret;

	bad_default = default_bad_input();
	ASSERT_LE(0, bad_default);
	fd = open(CONTROL, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(malformed); i++) {
		len = malformed[i].len ?: strlen(malformed[i].cmd);
		ret = write_cmd(fd, malformed[i].cmd, len);
		EXPECT_EQ(-EINVAL, ret)
			TH_LOG("'%s': %s", escape(malformed[i].cmd, len, esc, sizeof(esc)),
			       ret ? strerror(-ret) : "accepted");
	}
	/* Longer than any command may be: "free 000...01". */
	len = snprintf(cmd, sizeof(cmd), "free %0130d", 1);
	ASSERT_EQ(-EINVAL, write_cmd(fd, cmd, len));
	/* Nothing succeeded through this file: it has no result. */
	ASSERT_EQ(0, read_result(fd, cmd, sizeof(cmd))) TH_LOG("result '%s'", cmd);
	close(fd);

	/* Nothing was done, and vbuddy was asked nothing it had to refuse. */
	take_snap(_metadata, &self->after);
	ASSERT_STREQ(self->empty.buddyinfo, self->after.buddyinfo);
	ASSERT_EQ(POOL_PAGES, self->after.free_pages);
	ASSERT_EQ(0, stat_delta(&self->empty, &self->after, "bad_input"));
	ASSERT_EQ(0, stat_delta(&self->empty, &self->after, "free"));
	ASSERT_EQ(bad_default, default_bad_input());
	ASSERT_NE(0, access(DEBUGFS "/vbuddy/" A31, F_OK));
	ASSERT_NE(0, access(DEBUGFS "/vbuddy/kst_x", F_OK));
	ASSERT_EQ(0, access(POOL_DIR, F_OK));
}

/* Well-formed commands that name no pool or id: ENOENT. */
TEST_F(kst, unknown)
{
	static const char * const unknown[] = {
		"alloc nosuch 0", "alloc " NAME31 " 10", "kmalloc nosuch 64",
		"kmalloc nosuch 16384 virtok", "checkerboard nosuch", "movable nosuch",
		"alloc nosuch 4 nowait",
		"release nosuch", "destroy nosuch", "destroy " NAME31 "\n",
		"free 0", "free 4294967295", "free 18446744073709551615",
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		ret = control(unknown[i], NULL, 0);
		EXPECT_EQ(-ENOENT, ret) TH_LOG("'%s': %s", unknown[i],
					       ret ? strerror(-ret) : "accepted");
	}
	/* The default pool exists, but is not the driver's to destroy. */
	ASSERT_EQ(-EPERM, control("destroy default", NULL, 0));
	ASSERT_EQ(0, access(DEBUGFS "/vbuddy/default", F_OK));
	ASSERT_EQ(-EEXIST, control("create default 16", NULL, 0));
	take_snap(_metadata, &self->after);
	ASSERT_STREQ(self->empty.buddyinfo, self->after.buddyinfo);
	ASSERT_EQ(0, stat_delta(&self->empty, &self->after, "bad_input"));
}

/* A name of 31 characters works; one of 32 is refused, not cut to 31. */
TEST_F(kst, name_length)
{
	unsigned long long id;
	unsigned long pfn;
	char cmd[LINE_SIZE];
	int n;

	ASSERT_EQ(31, strlen(NAME31));
	ASSERT_EQ(31, strlen(A31));
	ASSERT_EQ(0, control("create " NAME31 " 16", self->res, sizeof(self->res)));
	ASSERT_STREQ("ok", self->res);
	ASSERT_EQ(0, access(DEBUGFS "/vbuddy/" NAME31, F_OK));
	ASSERT_EQ(0, control("alloc " NAME31 " 4", self->res, sizeof(self->res)));
	n = sscanf(self->res, "id %llu pfn %lu", &id, &pfn);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	/* The pool has 16 pages: the block of 16 is taken. */
	ASSERT_EQ(-ENOMEM, control("alloc " NAME31 " 0", NULL, 0));
	snprintf(cmd, sizeof(cmd), "free %llu", id);
	ASSERT_EQ(0, control(cmd, NULL, 0));
	ASSERT_EQ(0, control("destroy " NAME31, self->res, sizeof(self->res)));
	ASSERT_STREQ("ok", self->res);
	ASSERT_NE(0, access(DEBUGFS "/vbuddy/" NAME31, F_OK));

	ASSERT_EQ(-EINVAL, control("create " NAME32 " 16", NULL, 0));
	ASSERT_NE(0, access(DEBUGFS "/vbuddy/" NAME31, F_OK));
	ASSERT_EQ(-ENOENT, control("destroy " NAME31, NULL, 0));
	/* The name is one token of 33 characters, not 31 and a count. */
	ASSERT_EQ(-EINVAL, control("create " A31 "99 1", NULL, 0));
	ASSERT_NE(0, access(DEBUGFS "/vbuddy/" A31, F_OK));
	ASSERT_EQ(-ENOENT, control("destroy " A31, NULL, 0));
}

/* Ids are 64-bit: one that equals a real id modulo 2^32 is another id. */
TEST_F(kst, id_alias)
{
	unsigned long long id, alias[3];
	unsigned int virtual;
	char cmd[LINE_SIZE];
	int ret, n;
	size_t i;

	ASSERT_EQ(0, control("kmalloc " POOL " 64", self->res, sizeof(self->res)));
	n = sscanf(self->res, "id %llu virtual %u", &id, &virtual);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	alias[0] = id + (1ULL << 32);
	alias[1] = id + (0xffffULL << 32);
	alias[2] = id | (1ULL << 63);
	take_snap(_metadata, &self->before);
	ASSERT_EQ(1, count_char(self->before.map, 'C'));

	for (i = 0; i < ARRAY_SIZE(alias); i++) {
		snprintf(cmd, sizeof(cmd), "free %llu", alias[i]);
		ret = control(cmd, NULL, 0);
		EXPECT_EQ(-ENOENT, ret) TH_LOG("'%s' (id %llu held): %s", cmd, id,
					       ret ? strerror(-ret) : "accepted");
	}
	/* The object is intact: still allocated, and freed by its own id. */
	take_snap(_metadata, &self->after);
	ASSERT_EQ(0, stat_delta(&self->before, &self->after, "free"));
	ASSERT_EQ(1, count_char(self->after.map, 'C'));
	ASSERT_STREQ(self->before.buddyinfo, self->after.buddyinfo);
	snprintf(cmd, sizeof(cmd), "free %llu", id);
	ASSERT_EQ(0, control(cmd, self->res, sizeof(self->res)));
	ASSERT_STREQ("ok", self->res);
	take_snap(_metadata, &self->after);
	ASSERT_EQ(1, stat_delta(&self->before, &self->after, "free"));
	ASSERT_EQ(0, count_char(self->after.map, 'C'));
	ASSERT_EQ(POOL_PAGES, self->after.free_pages);
	ASSERT_EQ(-ENOENT, control(cmd, NULL, 0));
}

/* What a pool that cannot serve a request says: ENOMEM, quietly. */
TEST_F(kst, enomem)
{
	make_checkerboard(_metadata, self->res, sizeof(self->res));
	take_snap(_metadata, &self->before);
	ASSERT_EQ(-ENOMEM, control("alloc " POOL " 1", NULL, 0));
	ASSERT_EQ(-ENOMEM, control("alloc " POOL " 10", NULL, 0));
	ASSERT_EQ(-ENOMEM, control("kmalloc " POOL " 8192", NULL, 0));
	ASSERT_EQ(-ENOMEM, control("kmalloc " POOL " 4194304 virtok", NULL, 0));
	take_snap(_metadata, &self->after);
	ASSERT_LE(1, stat_delta(&self->before, &self->after, "alloc_fail_order1"));
	ASSERT_LE(1, stat_delta(&self->before, &self->after, "alloc_fail_order10"));
	ASSERT_EQ(0, stat_delta(&self->before, &self->after, "bad_input"));
	ASSERT_STREQ(self->before.buddyinfo, self->after.buddyinfo);
	/* More pages than the machine has: refused before any is taken. */
	ASSERT_EQ(-ENOMEM, control("create kst_huge 1073741824", NULL, 0));
	ASSERT_NE(0, access(DEBUGFS "/vbuddy/kst_huge", F_OK));
}

/* A successful write rewinds the file: read(2) then gets its whole result. */
/*
 * A block mapped into this process (vm_insert_page() by the driver) and
 * then freed is held back, never recycled while mapped: counted in stats
 * and check, shown as 'H' in the pagemap, the data still there; after
 * munmap() it comes back to the pool by itself.
 */
TEST_F(kst, mapped_block_held_back)
{
	char text[TEXT_SIZE], map[POOL_PAGES + 1], cmd[LINE_SIZE];
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long id, pfn;
	unsigned int tries;
	unsigned char *p;
	int fd, n;

	ASSERT_EQ(0, control("alloc " POOL " 1", self->res, sizeof(self->res)));
	n = sscanf(self->res, "id %llu pfn %llu", &id, &pfn);
	ASSERT_EQ(2, n) TH_LOG("result '%s'", self->res);
	fd = open(CONTROL, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, id * page);
	close(fd);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	memset(p, 0x5a, 2 * page);

	snprintf(cmd, sizeof(cmd), "free %llu", id);
	ASSERT_EQ(0, control(cmd, NULL, 0));
	ASSERT_LT(0, read_pool("stats", text, sizeof(text)));
	EXPECT_EQ(2, stat_value(text, "held_back_pages"));
	EXPECT_EQ(1, stat_value(text, "held_back"));
	EXPECT_EQ(POOL_PAGES - 2, stat_value(text, "free_pages"));
	ASSERT_LT(0, read_pool("check", text, sizeof(text)));
	EXPECT_STREQ("ok\nheld_back_pages 2\n", text);
	ASSERT_LT(0, read_pool("pagemap", text, sizeof(text)));
	ASSERT_EQ(POOL_PAGES, parse_pagemap(text, map, sizeof(map)));
	EXPECT_EQ(2, count_char(map, 'H'));
	EXPECT_EQ(0x5a, p[0]);
	EXPECT_EQ(0x5a, p[2 * page - 1]);

	ASSERT_EQ(0, munmap(p, 2 * page));
	for (tries = 0; tries < 100; tries++) {
		ASSERT_LT(0, read_pool("stats", text, sizeof(text)));
		if (!stat_value(text, "held_back_pages"))
			break;
		usleep(20000);
	}
	EXPECT_EQ(0, stat_value(text, "held_back_pages"));
	take_snap(_metadata, &self->after);
	assert_empty(_metadata, &self->after);
}

TEST_F(kst, reread)
{
	unsigned long long id;
	unsigned long pfn;
	char buf[LINE_SIZE];
	int fd, items;
	ssize_t n;

	fd = open(CONTROL, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, read(fd, buf, sizeof(buf) - 1)) TH_LOG("a fresh file has a result");
	ASSERT_EQ(0, write_cmd(fd, "alloc " POOL " 0\n", strlen("alloc " POOL " 0\n")));
	n = read(fd, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	items = sscanf(buf, "id %llu pfn %lu", &id, &pfn);
	ASSERT_EQ(2, items) TH_LOG("'%s'", buf);
	ASSERT_EQ('\n', buf[n - 1]);
	ASSERT_EQ(0, read(fd, buf, sizeof(buf) - 1));
	/* A failed command neither rewinds nor changes the result. */
	ASSERT_EQ(-EINVAL, write_cmd(fd, "alloc " POOL " 99", strlen("alloc " POOL " 99")));
	ASSERT_EQ(0, read(fd, buf, sizeof(buf) - 1));
	n = snprintf(buf, sizeof(buf), "free %llu", id);
	ASSERT_EQ(0, write_cmd(fd, buf, n));
	n = read(fd, buf, sizeof(buf) - 1);
	ASSERT_EQ(3, n);
	buf[n] = '\0';
	ASSERT_STREQ("ok\n", buf);
	close(fd);
}

/*
 * Allocate and free @rounds times through @fd with @cmd, checking that
 * every result read back is one of @cmd's (@fmt with @nr conversions): 0,
 * or the round that went wrong.
 */
static int churn(int fd, const char *cmd, const char *fmt, int nr, int rounds)
{
	unsigned long long id;
	unsigned long val;
	char res[LINE_SIZE], cmd_free[LINE_SIZE];
	int i, n;

	for (i = 1; i <= rounds; i++) {
		if (write_cmd(fd, cmd, strlen(cmd)) || read_result(fd, res, sizeof(res)) <= 0)
			return i;
		if (sscanf(res, fmt, &id, &val) != nr)
			return i;
		n = snprintf(cmd_free, sizeof(cmd_free), "free %llu", id);
		if (write_cmd(fd, cmd_free, n) || read_result(fd, res, sizeof(res)) <= 0 ||
		    strcmp(res, "ok"))
			return i;
	}
	return 0;
}

#define CHURN_ROUNDS	200

/* The child of per_file: its own open file, its own results. */
static int per_file_child(int go, int done)
{
	char res[LINE_SIZE], again[LINE_SIZE], c;
	int fd;

	fd = open(CONTROL, O_RDWR);
	if (fd < 0)
		return 10;
	if (write_cmd(fd, "kmalloc " POOL " 128", strlen("kmalloc " POOL " 128")) ||
	    read_result(fd, res, sizeof(res)) <= 0 || strncmp(res, "id ", 3))
		return 11;
	/* Tell the parent; wait until it ran a command of its own. */
	if (write(done, "c", 1) != 1 || read(go, &c, 1) != 1)
		return 12;
	if (read_result(fd, again, sizeof(again)) <= 0 || strcmp(res, again))
		return 13;
	/* Both at once. */
	if (churn(fd, "alloc " POOL " 0", "id %llu pfn %lu", 2, CHURN_ROUNDS))
		return 14;
	close(fd);
	return 0;
}

/* Each open file has its own result, in one process and across two. */
TEST_F(kst, per_file)
{
	char a[LINE_SIZE], b[LINE_SIZE], r[LINE_SIZE], c;
	int fda, fdb, fdc, go[2], done[2], status, n;
	unsigned long long id;
	unsigned int virtual;
	unsigned long pfn;
	pid_t pid;

	fda = open(CONTROL, O_RDWR);
	fdb = open(CONTROL, O_RDWR);
	fdc = open(CONTROL, O_RDWR);
	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	ASSERT_EQ(0, write_cmd(fda, "kmalloc " POOL " 64", strlen("kmalloc " POOL " 64")));
	ASSERT_LT(0, read_result(fda, a, sizeof(a)));
	n = sscanf(a, "id %llu virtual %u", &id, &virtual);
	ASSERT_EQ(2, n) TH_LOG("'%s'", a);
	ASSERT_EQ(0, write_cmd(fdb, "alloc " POOL " 0", strlen("alloc " POOL " 0")));
	ASSERT_LT(0, read_result(fdb, b, sizeof(b)));
	n = sscanf(b, "id %llu pfn %lu", &id, &pfn);
	ASSERT_EQ(2, n) TH_LOG("'%s'", b);
	ASSERT_LT(0, read_result(fda, r, sizeof(r)));
	ASSERT_STREQ(a, r);
	ASSERT_LT(0, read_result(fdb, r, sizeof(r)));
	ASSERT_STREQ(b, r);
	ASSERT_EQ(0, read_result(fdc, r, sizeof(r))) TH_LOG("fresh file reads '%s'", r);
	/* Failed commands leave the file's result as it was. */
	ASSERT_EQ(-EINVAL, write_cmd(fdb, "alloc " POOL " 11", strlen("alloc " POOL " 11")));
	ASSERT_EQ(-ENOENT, write_cmd(fdb, "alloc nosuch 0", strlen("alloc nosuch 0")));
	ASSERT_LT(0, read_result(fdb, r, sizeof(r)));
	ASSERT_STREQ(b, r);

	/* A child process with an open file of its own. */
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		close(done[0]);
		_exit(per_file_child(go[0], done[1]));
	}
	close(go[0]);
	close(done[1]);
	ASSERT_EQ(1, read(done[0], &c, 1)) TH_LOG("the child failed early");
	ASSERT_LT(0, read_result(fda, r, sizeof(r)));
	ASSERT_STREQ(a, r) TH_LOG("the child's result");
	ASSERT_EQ(0, write_cmd(fda, "alloc " POOL " 2", strlen("alloc " POOL " 2")));
	ASSERT_EQ(1, write(go[1], "p", 1));
	n = churn(fda, "kmalloc " POOL " 32", "id %llu virtual %lu", 2, CHURN_ROUNDS);
	EXPECT_EQ(0, n) TH_LOG("round %d read another's result", n);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child failed");
	ASSERT_LT(0, read_result(fdb, r, sizeof(r)));
	ASSERT_STREQ(b, r);
	close(go[1]);
	close(done[0]);
	close(fda);
	close(fdb);
	close(fdc);
}

TEST_HARNESS_MAIN
