// SPDX-License-Identifier: GPL-2.0
/*
 * insncount: a QEMU TCG plugin for bench/. Counts the guest instructions executed between two
 * marker instructions the benchmark executes (the same markers as ../shared/tools/insn-window),
 * and, with profile=N, names the N translation blocks that executed the most instructions in
 * each window: a deterministic profile of a TCG guest, where wall-clock sampling means little.
 *
 *   start marker: xchg %bx,%bx (66 87 db)   stop marker: xchg %cx,%cx (66 87 c9)
 *
 * Output on QEMU's plugin log (-d plugin -D FILE), per window:
 *   insn_window: N
 *   insn_pc: 0xADDRESS COUNT          (profile=N only; COUNT instructions in blocks at ADDRESS)
 * All vCPUs are counted, user and kernel mode alike.
 *
 * Build: bench/plugin.sh; use: qemu -plugin libinsncount.so,profile=40 -d plugin -D FILE
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const uint8_t start_marker[] = { 0x66, 0x87, 0xdb };
static const uint8_t stop_marker[] = { 0x66, 0x87, 0xc9 };

/* One translated block: its address, its size, and how often it ran in this window. */
struct block {
	uint64_t pc;
	uint64_t insns;
	uint64_t runs;
};

static volatile int counting;
static uint64_t window;
static unsigned int profile;
static GMutex lock;
static GPtrArray *blocks;	/* every struct block, under lock */

static void tb_exec(unsigned int vcpu_index, void *udata)
{
	struct block *b = udata;

	if (counting) {
		__atomic_add_fetch(&window, b->insns, __ATOMIC_RELAXED);
		if (profile)
			__atomic_add_fetch(&b->runs, 1, __ATOMIC_RELAXED);
	}
}

static void on_start(unsigned int vcpu_index, void *udata)
{
	g_mutex_lock(&lock);
	__atomic_store_n(&window, 0, __ATOMIC_RELAXED);
	for (guint i = 0; i < blocks->len; i++)
		((struct block *)g_ptr_array_index(blocks, i))->runs = 0;
	counting = 1;
	g_mutex_unlock(&lock);
}

static gint by_count(gconstpointer a, gconstpointer b)
{
	const struct block *x = *(struct block *const *)a, *y = *(struct block *const *)b;
	uint64_t cx = x->runs * x->insns, cy = y->runs * y->insns;

	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

/* Blocks translated more than once (same address) are added up before ranking. */
static void print_profile(void)
{
	GHashTable *sum = g_hash_table_new(g_int64_hash, g_int64_equal);
	GPtrArray *ranked = g_ptr_array_new_with_free_func(g_free);
	char line[80];

	for (guint i = 0; i < blocks->len; i++) {
		struct block *b = g_ptr_array_index(blocks, i), *s;

		if (!b->runs)
			continue;
		s = g_hash_table_lookup(sum, &b->pc);
		if (!s) {
			s = g_new0(struct block, 1);
			s->pc = b->pc;
			s->insns = 1;
			g_hash_table_insert(sum, &s->pc, s);
			g_ptr_array_add(ranked, s);
		}
		s->runs += b->runs * b->insns;
	}
	g_ptr_array_sort(ranked, by_count);
	for (guint i = 0; i < ranked->len && i < profile; i++) {
		struct block *s = g_ptr_array_index(ranked, i);

		snprintf(line, sizeof(line), "insn_pc: 0x%" PRIx64 " %" PRIu64 "\n", s->pc, s->runs);
		qemu_plugin_outs(line);
	}
	g_hash_table_destroy(sum);
	g_ptr_array_free(ranked, TRUE);
}

static void on_stop(unsigned int vcpu_index, void *udata)
{
	char line[64];

	g_mutex_lock(&lock);
	counting = 0;
	snprintf(line, sizeof(line), "insn_window: %" PRIu64 "\n",
		 __atomic_load_n(&window, __ATOMIC_RELAXED));
	qemu_plugin_outs(line);
	if (profile)
		print_profile();
	g_mutex_unlock(&lock);
}

static bool is_marker(struct qemu_plugin_insn *insn, const uint8_t *m, size_t len)
{
	return qemu_plugin_insn_size(insn) == len &&
	       memcmp(qemu_plugin_insn_data(insn), m, len) == 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = g_new0(struct block, 1);

	b->pc = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	g_mutex_lock(&lock);
	g_ptr_array_add(blocks, b);
	g_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, b);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (is_marker(insn, start_marker, sizeof(start_marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
		else if (is_marker(insn, stop_marker, sizeof(stop_marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "profile=", 8))
			profile = strtoul(argv[i] + 8, NULL, 0);
	}
	g_mutex_init(&lock);
	blocks = g_ptr_array_new();
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
