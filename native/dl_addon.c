/*
 * Node-API glue for csrc/dl_kernels.c: the kernels work in place on the caller's Float32Arrays
 * (no copies), and big GEMMs are split over a small pthread pool. Pool threads sleep on a
 * condition variable between jobs (no spinning), and the process exits without joining them.
 * The JS side (src/engine/kernels/native-kernels.ts) validates shapes first; the span checks here
 * only keep a bug there from becoming a crash.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "dl_kernels.h"

/* ---------------------------------------------------------------- per-thread scratch */

static _Thread_local float *tls_scratch;

static float *thread_scratch(void) {
  if (!tls_scratch) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (size_t)dl_scratch_floats() * sizeof(float)) != 0) return NULL;
    tls_scratch = (float *)p;
  }
  return tls_scratch;
}

/* ---------------------------------------------------------------- thread pool */

typedef struct {
  int isa, ta, tb, m, n, k, lda, ldb, ldc, nparts;
  float alpha, beta;
  const float *a, *b;
  float *c;
} gemm_job;

#define MAX_WORKERS 255

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
/* One caller at a time uses the pool; another JS thread that finds it busy runs single-threaded. */
static pthread_mutex_t pool_call_mu = PTHREAD_MUTEX_INITIALIZER;
static int pool_workers;          /* threads started (each has a fixed id 1..pool_workers) */
static unsigned long pool_gen;    /* bumped once per job */
static int pool_pending;          /* workers that still have to finish the current job */
static gemm_job pool_job;
/* The job generation current when each worker was started: a worker that only gets to run
 * after the next job was posted must still see that job as new. */
static unsigned long pool_start_gen[MAX_WORKERS + 1];
/* Set by a worker that could not allocate its scratch; the caller then computes that part. */
static int pool_missed[MAX_WORKERS + 1];

static void run_part(const gemm_job *j, int part, float *scratch) {
  dl_sgemm(j->isa, j->ta, j->tb, j->m, j->n, j->k, j->alpha, j->a, j->lda, j->b, j->ldb, j->beta,
           j->c, j->ldc, scratch, part, j->nparts);
}

static void *pool_main(void *arg) {
  int id = (int)(intptr_t)arg;
  float *scratch = thread_scratch();
  pthread_mutex_lock(&pool_mu);
  unsigned long seen = pool_start_gen[id];
  for (;;) {
    while (pool_gen == seen) pthread_cond_wait(&pool_work, &pool_mu);
    seen = pool_gen;
    gemm_job job = pool_job;
    if (id < job.nparts) {
      pthread_mutex_unlock(&pool_mu);
      if (scratch) run_part(&job, id, scratch);
      pthread_mutex_lock(&pool_mu);
      pool_missed[id] = scratch == NULL;
    }
    if (--pool_pending == 0) pthread_cond_signal(&pool_done);
  }
  return NULL;
}

/* Starts workers until `want` exist (under pool_call_mu); returns how many there are. */
static int pool_grow(int want) {
  if (want > MAX_WORKERS) want = MAX_WORKERS;
  while (pool_workers < want) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&pool_mu);
    pool_start_gen[pool_workers + 1] = pool_gen;
    int rc = pthread_create(&t, &attr, pool_main, (void *)(intptr_t)(pool_workers + 1));
    if (rc == 0) pool_workers++;
    pthread_mutex_unlock(&pool_mu);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
  }
  return pool_workers;
}

/* Returns 0, or -1 when this thread's scratch could not be allocated. */
static int gemm_threaded(gemm_job *job) {
  float *scratch = thread_scratch();
  if (!scratch) return -1;
  if (job->nparts > 1 && pthread_mutex_trylock(&pool_call_mu) == 0) {
    int workers = pool_grow(job->nparts - 1);
    if (job->nparts > workers + 1) job->nparts = workers + 1;
    if (job->nparts > 1) {
      pthread_mutex_lock(&pool_mu);
      pool_job = *job;
      pool_pending = pool_workers;
      pool_gen++;
      pthread_cond_broadcast(&pool_work);
      pthread_mutex_unlock(&pool_mu);
      run_part(job, 0, scratch);
      pthread_mutex_lock(&pool_mu);
      while (pool_pending > 0) pthread_cond_wait(&pool_done, &pool_mu);
      pthread_mutex_unlock(&pool_mu);
      for (int p = 1; p < job->nparts; p++)
        if (pool_missed[p]) run_part(job, p, scratch);
      pthread_mutex_unlock(&pool_call_mu);
      return 0;
    }
    pthread_mutex_unlock(&pool_call_mu);
  }
  job->nparts = 1;
  run_part(job, 0, scratch);
  return 0;
}

/* ---------------------------------------------------------------- argument helpers */

#define ARGS(N)                                                                                    \
  size_t argc = (N);                                                                               \
  napi_value argv[(N)];                                                                            \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < (N)) {             \
    napi_throw_type_error(env, NULL, "dl_native: wrong number of arguments");                      \
    return NULL;                                                                                   \
  }

static int get_int(napi_env env, napi_value v, int *out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok) {
    napi_throw_type_error(env, NULL, "dl_native: expected an integer");
    return 0;
  }
  *out = x;
  return 1;
}

static int get_float(napi_env env, napi_value v, float *out) {
  double x;
  if (napi_get_value_double(env, v, &x) != napi_ok) {
    napi_throw_type_error(env, NULL, "dl_native: expected a number");
    return 0;
  }
  *out = (float)x;
  return 1;
}

/* A Float32Array's data and length; `null` gives NULL when allow_null. */
static int get_f32(napi_env env, napi_value v, float **data, size_t *len, int allow_null) {
  napi_valuetype t;
  if (allow_null && napi_typeof(env, v, &t) == napi_ok && t == napi_null) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "dl_native: expected a Float32Array");
    return 0;
  }
  *data = (float *)p;
  return 1;
}

static int span_ok(napi_env env, size_t have, long rows, long cols, long ld) {
  long need = rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols;
  if (rows < 0 || cols < 0 || ld < cols || (size_t)need > have) {
    napi_throw_range_error(env, NULL, "dl_native: array too short for its shape");
    return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------- exported functions */

/* sgemm(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nparts) */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  ARGS(15);
  gemm_job j;
  bool ta, tb;
  float *a, *b;
  size_t la, lb, lc;
  if (napi_get_value_bool(env, argv[1], &ta) != napi_ok ||
      napi_get_value_bool(env, argv[2], &tb) != napi_ok) {
    napi_throw_type_error(env, NULL, "dl_native: expected a boolean");
    return NULL;
  }
  if (!get_int(env, argv[0], &j.isa) || !get_int(env, argv[3], &j.m) ||
      !get_int(env, argv[4], &j.n) || !get_int(env, argv[5], &j.k) ||
      !get_float(env, argv[6], &j.alpha) || !get_f32(env, argv[7], &a, &la, 0) ||
      !get_int(env, argv[8], &j.lda) || !get_f32(env, argv[9], &b, &lb, 0) ||
      !get_int(env, argv[10], &j.ldb) || !get_float(env, argv[11], &j.beta) ||
      !get_f32(env, argv[12], &j.c, &lc, 0) || !get_int(env, argv[13], &j.ldc) ||
      !get_int(env, argv[14], &j.nparts))
    return NULL;
  j.ta = ta;
  j.tb = tb;
  j.a = a;
  j.b = b;
  if (!span_ok(env, la, ta ? j.k : j.m, ta ? j.m : j.k, j.lda) ||
      !span_ok(env, lb, tb ? j.n : j.k, tb ? j.k : j.n, j.ldb) ||
      !span_ok(env, lc, j.m, j.n, j.ldc))
    return NULL;
  if (j.isa < 0 || j.isa > dl_isa_best()) {
    napi_throw_range_error(env, NULL, "dl_native: instruction set not supported by this CPU");
    return NULL;
  }
  if (gemm_threaded(&j) != 0) napi_throw_error(env, NULL, "dl_native: out of memory for GEMM scratch");
  return NULL;
}

/* im2col(x, N, C, H, W, kh, kw, sh, sw, ph, pw, out) and col2im(cols, ..., dx) share arguments. */
static napi_value conv_common(napi_env env, napi_callback_info info, int adjoint) {
  ARGS(12);
  float *src, *dst;
  size_t ls, ld;
  int d[10];
  if (!get_f32(env, argv[0], &src, &ls, 0) || !get_f32(env, argv[11], &dst, &ld, 0)) return NULL;
  for (int i = 0; i < 10; i++)
    if (!get_int(env, argv[1 + i], &d[i])) return NULL;
  int N = d[0], C = d[1], H = d[2], W = d[3], kh = d[4], kw = d[5], sh = d[6], sw = d[7],
      ph = d[8], pw = d[9];
  if (N < 0 || C < 0 || H <= 0 || W <= 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || ph < 0 ||
      pw < 0 || H + 2 * ph < kh || W + 2 * pw < kw) {
    napi_throw_range_error(env, NULL, "dl_native: bad convolution geometry");
    return NULL;
  }
  size_t oh = (size_t)(H + 2 * ph - kh) / sh + 1, ow = (size_t)(W + 2 * pw - kw) / sw + 1;
  size_t img = (size_t)N * C * H * W, cols = (size_t)C * kh * kw * N * oh * ow;
  if ((adjoint ? cols : img) > ls || (adjoint ? img : cols) > ld) {
    napi_throw_range_error(env, NULL, "dl_native: array too short for its shape");
    return NULL;
  }
  if (adjoint)
    dl_col2im(src, N, C, H, W, kh, kw, sh, sw, ph, pw, dst);
  else
    dl_im2col(src, N, C, H, W, kh, kw, sh, sw, ph, pw, dst);
  return NULL;
}
static napi_value js_im2col(napi_env env, napi_callback_info info) { return conv_common(env, info, 0); }
static napi_value js_col2im(napi_env env, napi_callback_info info) { return conv_common(env, info, 1); }

/* biasAct(act, x, bias|null, m, n, out) */
static napi_value js_bias_act(napi_env env, napi_callback_info info) {
  ARGS(6);
  int act, m, n;
  float *x, *bias, *out;
  size_t lx, lb, lo;
  if (!get_int(env, argv[0], &act) || !get_f32(env, argv[1], &x, &lx, 0) ||
      !get_f32(env, argv[2], &bias, &lb, 1) || !get_int(env, argv[3], &m) ||
      !get_int(env, argv[4], &n) || !get_f32(env, argv[5], &out, &lo, 0))
    return NULL;
  if (m < 0 || n < 0 || (size_t)m * n > lx || (size_t)m * n > lo || (bias && (size_t)n > lb)) {
    napi_throw_range_error(env, NULL, "dl_native: array too short for its shape");
    return NULL;
  }
  dl_bias_act(act, x, bias, m, n, out);
  return NULL;
}

/* actBackward(act, y, gy, gx, len) */
static napi_value js_act_backward(napi_env env, napi_callback_info info) {
  ARGS(5);
  int act, len;
  float *y, *gy, *gx;
  size_t ly, lgy, lgx;
  if (!get_int(env, argv[0], &act) || !get_f32(env, argv[1], &y, &ly, 0) ||
      !get_f32(env, argv[2], &gy, &lgy, 0) || !get_f32(env, argv[3], &gx, &lgx, 0) ||
      !get_int(env, argv[4], &len))
    return NULL;
  if (len < 0 || (size_t)len > ly || (size_t)len > lgy || (size_t)len > lgx) {
    napi_throw_range_error(env, NULL, "dl_native: array too short for its length");
    return NULL;
  }
  dl_act_backward(act, y, gy, gx, len);
  return NULL;
}

/* ---------------------------------------------------------------- elementwise (dl_elementwise.c) */

static int get_long(napi_env env, napi_value v, long *out) {
  int64_t x;
  if (napi_get_value_int64(env, v, &x) != napi_ok || x < 0) {
    napi_throw_type_error(env, NULL, "dl_native: expected a non-negative integer");
    return 0;
  }
  *out = (long)x;
  return 1;
}

static int get_double(napi_env env, napi_value v, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "dl_native: expected a number");
    return 0;
  }
  return 1;
}

static int len_ok(napi_env env, int ok) {
  if (!ok) napi_throw_range_error(env, NULL, "dl_native: array too short for its shape");
  return ok;
}

/* ewBinary(op, mode, a, b, out, rows, d) */
static napi_value js_ew_binary(napi_env env, napi_callback_info info) {
  ARGS(7);
  int op, mode;
  long rows, d;
  float *a, *b, *out;
  size_t la, lb, lo;
  if (!get_int(env, argv[0], &op) || !get_int(env, argv[1], &mode) ||
      !get_f32(env, argv[2], &a, &la, 0) || !get_f32(env, argv[3], &b, &lb, 0) ||
      !get_f32(env, argv[4], &out, &lo, 0) || !get_long(env, argv[5], &rows) ||
      !get_long(env, argv[6], &d))
    return NULL;
  size_t n = (size_t)rows * (size_t)d;
  size_t need_a = mode == DL_EW_SCALAR_A ? 1 : n;
  size_t need_b = mode == DL_EW_SAME ? n : mode == DL_EW_SCALAR_B ? 1 : mode == DL_EW_ROW ? (size_t)d
                : mode == DL_EW_COL ? (size_t)rows : n;
  if (n == 0) return NULL;
  if (!len_ok(env, la >= need_a && lb >= need_b && lo >= n)) return NULL;
  dl_ew_binary(op, mode, a, b, out, rows, d);
  return NULL;
}

/* ewUnary(op, x, out, n) */
static napi_value js_ew_unary(napi_env env, napi_callback_info info) {
  ARGS(4);
  int op;
  long n;
  float *x, *out;
  size_t lx, lo;
  if (!get_int(env, argv[0], &op) || !get_f32(env, argv[1], &x, &lx, 0) ||
      !get_f32(env, argv[2], &out, &lo, 0) || !get_long(env, argv[3], &n))
    return NULL;
  if (!len_ok(env, lx >= (size_t)n && lo >= (size_t)n)) return NULL;
  dl_ew_unary(op, x, out, n);
  return NULL;
}

/* ewWhere(c, a, b, out, n) */
static napi_value js_ew_where(napi_env env, napi_callback_info info) {
  ARGS(5);
  long n;
  float *c, *a, *b, *out;
  size_t lc, la, lb, lo;
  if (!get_f32(env, argv[0], &c, &lc, 0) || !get_f32(env, argv[1], &a, &la, 0) ||
      !get_f32(env, argv[2], &b, &lb, 0) || !get_f32(env, argv[3], &out, &lo, 0) ||
      !get_long(env, argv[4], &n))
    return NULL;
  if (!len_ok(env, lc >= (size_t)n && la >= (size_t)n && lb >= (size_t)n && lo >= (size_t)n)) return NULL;
  dl_ew_where(c, a, b, out, n);
  return NULL;
}

/* ewReduce(op, x, out, outer, red, inner) */
static napi_value js_ew_reduce(napi_env env, napi_callback_info info) {
  ARGS(6);
  int op;
  long outer, red, inner;
  float *x, *out;
  size_t lx, lo;
  if (!get_int(env, argv[0], &op) || !get_f32(env, argv[1], &x, &lx, 0) ||
      !get_f32(env, argv[2], &out, &lo, 0) || !get_long(env, argv[3], &outer) ||
      !get_long(env, argv[4], &red) || !get_long(env, argv[5], &inner))
    return NULL;
  if (!len_ok(env, lx >= (size_t)outer * red * inner && lo >= (size_t)outer * inner)) return NULL;
  dl_ew_reduce(op, x, out, outer, red, inner);
  return NULL;
}

/* ewAxpy(y, x, alpha, n) */
static napi_value js_ew_axpy(napi_env env, napi_callback_info info) {
  ARGS(4);
  long n;
  double alpha;
  float *y, *x;
  size_t ly, lx;
  if (!get_f32(env, argv[0], &y, &ly, 0) || !get_f32(env, argv[1], &x, &lx, 0) ||
      !get_double(env, argv[2], &alpha) || !get_long(env, argv[3], &n))
    return NULL;
  if (!len_ok(env, ly >= (size_t)n && lx >= (size_t)n)) return NULL;
  dl_ew_axpy(y, x, alpha, n);
  return NULL;
}

/* ewMomentum(p, v, g, n, m, lr, nesterov) */
static napi_value js_ew_momentum(napi_env env, napi_callback_info info) {
  ARGS(7);
  long n;
  double m, lr;
  bool nesterov;
  float *p, *v, *g;
  size_t lp, lv, lg;
  if (!get_f32(env, argv[0], &p, &lp, 0) || !get_f32(env, argv[1], &v, &lv, 0) ||
      !get_f32(env, argv[2], &g, &lg, 0) || !get_long(env, argv[3], &n) ||
      !get_double(env, argv[4], &m) || !get_double(env, argv[5], &lr))
    return NULL;
  if (napi_get_value_bool(env, argv[6], &nesterov) != napi_ok) {
    napi_throw_type_error(env, NULL, "dl_native: expected a boolean");
    return NULL;
  }
  if (!len_ok(env, lp >= (size_t)n && lv >= (size_t)n && lg >= (size_t)n)) return NULL;
  if (p == v || p == g || v == g) {
    napi_throw_range_error(env, NULL, "dl_native: momentum needs three distinct arrays");
    return NULL;
  }
  dl_ew_momentum(p, v, g, n, (float)m, (float)lr, nesterov);
  return NULL;
}

/* ewForceBase(on): tests run the baseline build of the elementwise kernels on an AVX2 machine. */
static napi_value js_ew_force_base(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool on;
  if (napi_get_value_bool(env, argv[0], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "dl_native: expected a boolean");
    return NULL;
  }
  dl_ew_force_base(on);
  return NULL;
}

static napi_value js_isa_best(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, dl_isa_best(), &v);
  return v;
}

/*
 * Tensors die only when V8 collects them, so a training step's weight-sized arrays are all fresh
 * allocations. glibc serves blocks over 128 KiB with mmap and unmaps them on free, so every new
 * array page-faults its memory in again (a 1.5 MiB gradient: ~2.5 ms instead of ~0.1 ms to write).
 * Keeping blocks up to 32 MiB on the heap, and freed memory in the process, lets malloc reuse it.
 */
static void keep_freed_memory(void) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

NAPI_MODULE_INIT() {
  keep_freed_memory();
  napi_property_descriptor props[] = {
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"im2col", NULL, js_im2col, NULL, NULL, NULL, napi_default, NULL},
      {"col2im", NULL, js_col2im, NULL, NULL, NULL, napi_default, NULL},
      {"biasAct", NULL, js_bias_act, NULL, NULL, NULL, napi_default, NULL},
      {"actBackward", NULL, js_act_backward, NULL, NULL, NULL, napi_default, NULL},
      {"isaBest", NULL, js_isa_best, NULL, NULL, NULL, napi_default, NULL},
      {"ewBinary", NULL, js_ew_binary, NULL, NULL, NULL, napi_default, NULL},
      {"ewUnary", NULL, js_ew_unary, NULL, NULL, NULL, napi_default, NULL},
      {"ewWhere", NULL, js_ew_where, NULL, NULL, NULL, napi_default, NULL},
      {"ewReduce", NULL, js_ew_reduce, NULL, NULL, NULL, napi_default, NULL},
      {"ewAxpy", NULL, js_ew_axpy, NULL, NULL, NULL, napi_default, NULL},
      {"ewMomentum", NULL, js_ew_momentum, NULL, NULL, NULL, napi_default, NULL},
      {"ewForceBase", NULL, js_ew_force_base, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
