// The C++ kernels of the fused mixture Ops (rnnrnade_pt/kernels/fused_mixture.py), compiled by PyTensor's C
// backend with -fopenmp; exp_ and log_ (glibc's vector exp and log) come from the shared prelude.
#include <cmath>
#include <cstring>
#include <vector>

namespace rnnrnade_fm {

/* Where one (row, dimension) pair reads its K biases: its own (biases N x D x K) or its dimension's
   (1 x D x K, shared by the rows). */
struct Bias {
    const void* data;
    bool per_row;
};

template <typename T>
static inline const T* bias_at(const Bias& b, long q, long D, long K) {
    return static_cast<const T*>(b.data) + (b.per_row ? q : q % D) * K;
}

/* Less work than this (pairs times components) runs on the calling thread: a team's start and barriers cost
   more than it does (tens of microseconds; milliseconds when another process holds the other cores). */
static const long MIN_PARALLEL_WORK = 1L << 15;

/* One block of NB (row, dimension) pairs at a time, the K components first and the pairs last
   (za[k * NB + i]), so that every loop over the block's pairs is one SIMD register wide. */
#define RNNRNADE_FM_NB const long NB = 64 / sizeof(T)

template <typename T>
struct Block {
    static const long NB = 64 / sizeof(T);
    std::vector<T> za, mu, zs, t;
    T x[NB], lse_a[NB], logp[NB];
    explicit Block(long K) : za(K * NB), mu(K * NB), zs(K * NB), t(K * NB) {}
};

/* The block's output-layer values plus biases, transposed; pairs past the end are zeros. */
template <typename T>
static void load(const T* x, const T* z, const Bias& ba, const Bias& bm, const Bias& bs, long q0, long m,
                 long D, long K, Block<T>& s) {
    RNNRNADE_FM_NB;
    for (long i = 0; i < NB; ++i) {
        if (i >= m) {
            s.x[i] = T(0);
            for (long k = 0; k < K; ++k) s.za[k * NB + i] = s.mu[k * NB + i] = s.zs[k * NB + i] = T(0);
            continue;
        }
        const long q = q0 + i;
        const T* zq = z + q * 3 * K;
        const T *a = bias_at<T>(ba, q, D, K), *u = bias_at<T>(bm, q, D, K), *g = bias_at<T>(bs, q, D, K);
        s.x[i] = x[q];
        for (long k = 0; k < K; ++k) {
            s.za[k * NB + i] = zq[k] + a[k];
            s.mu[k * NB + i] = zq[K + k] + u[k];
            s.zs[k * NB + i] = zq[2 * K + k] + g[k];
        }
    }
}

/* logsumexp over the K components of v (K x NB), the maximum subtracted first */
template <typename T>
static inline void logsumexp(const T* v, T* out, long K) {
    RNNRNADE_FM_NB;
    T mx[NB], sum[NB];
    for (long i = 0; i < NB; ++i) mx[i] = v[i];
    for (long k = 1; k < K; ++k)
        for (long i = 0; i < NB; ++i) mx[i] = (v[k * NB + i] > mx[i]) ? v[k * NB + i] : mx[i];
    for (long i = 0; i < NB; ++i) sum[i] = T(0);
    for (long k = 0; k < K; ++k)
        for (long i = 0; i < NB; ++i) sum[i] += exp_(v[k * NB + i] - mx[i]);
    for (long i = 0; i < NB; ++i) out[i] = mx[i] + log_(sum[i]);
}

/* t_k = log alpha_k + log phi_k(x) for the block, and log p(x) = logsumexp_k t_k; the component log-density
   as the graph writes it (rnnrnade_pt.ops): Gaussian -log(2 pi)/2 - zs - u^2/2 with u = (x - mu) exp(-zs),
   Laplace -log 2 - zs - |x - mu| exp(-zs). */
template <typename T>
static void block_logp(Block<T>& s, long K, bool laplace) {
    RNNRNADE_FM_NB;
    const T half_log_2pi = T(0.91893853320467274178), log_2 = T(0.69314718055994530942);
    logsumexp(s.za.data(), s.lse_a, K);
    for (long k = 0; k < K; ++k) {
        T* t = s.t.data() + k * NB;
        const T *za = s.za.data() + k * NB, *mu = s.mu.data() + k * NB, *zs = s.zs.data() + k * NB;
        if (laplace)
            for (long i = 0; i < NB; ++i) {
                const T e = s.x[i] - mu[i];
                t[i] = (za[i] - s.lse_a[i]) + ((-log_2 - zs[i]) - std::fabs(e) * exp_(-zs[i]));
            }
        else
            for (long i = 0; i < NB; ++i) {
                const T u = (s.x[i] - mu[i]) * exp_(-zs[i]);
                t[i] = (za[i] - s.lse_a[i]) + ((-half_log_2pi - zs[i]) - T(0.5) * u * u);
            }
    }
    logsumexp(s.t.data(), s.logp, K);
}

template <typename T>
static __attribute__((noinline)) void forward_block(const T* x, const T* z, Bias ba, Bias bm, Bias bs,
        T* logp, long q0, long m, long D, long K, bool laplace, Block<T>& s) {
    load(x, z, ba, bm, bs, q0, m, D, K, s);
    block_logp(s, K, laplace);
    for (long i = 0; i < m; ++i) logp[q0 + i] = s.logp[i];
}

/* d g log p / d z for the block's pairs, written to dz (N x D x 3K): with responsibilities
   r_k = exp(t_k - log p) and mixing weights pi_k = exp(za_k - lse_a),
   d/dza_k = g (r_k - pi_k); Gaussian: d/dmu_k = g r_k u_k exp(-zs_k), d/dzs_k = g r_k (u_k^2 - 1);
   Laplace: d/dmu_k = g r_k sign(x - mu_k) exp(-zs_k), d/dzs_k = g r_k (|x - mu_k| exp(-zs_k) - 1). */
template <typename T>
static __attribute__((noinline)) void backward_block(const T* x, const T* z, Bias ba, Bias bm, Bias bs,
        const T* g, T* dz, long q0, long m, long D, long K, bool laplace, Block<T>& s) {
    RNNRNADE_FM_NB;
    load(x, z, ba, bm, bs, q0, m, D, K, s);
    block_logp(s, K, laplace);
    T gq[NB];
    for (long i = 0; i < m; ++i) gq[i] = g[q0 + i];
    for (long i = m; i < NB; ++i) gq[i] = T(0);
    /* reuse the block's buffers: za <- d/dza, mu <- d/dmu, zs <- d/dzs (one loop per family, so that each is
       a branch-free SIMD loop) */
    for (long k = 0; k < K; ++k) {
        T *za = s.za.data() + k * NB, *mu = s.mu.data() + k * NB, *zs = s.zs.data() + k * NB;
        const T* t = s.t.data() + k * NB;
        if (laplace)
            for (long i = 0; i < NB; ++i) {
                const T r = gq[i] * exp_(t[i] - s.logp[i]), inv = exp_(-zs[i]), e = s.x[i] - mu[i];
                za[i] = r - gq[i] * exp_(za[i] - s.lse_a[i]);
                mu[i] = r * inv * (T(e > T(0)) - T(e < T(0)));
                zs[i] = r * (std::fabs(e) * inv - T(1));
            }
        else
            for (long i = 0; i < NB; ++i) {
                const T r = gq[i] * exp_(t[i] - s.logp[i]), inv = exp_(-zs[i]), u = (s.x[i] - mu[i]) * inv;
                za[i] = r - gq[i] * exp_(za[i] - s.lse_a[i]);
                mu[i] = r * u * inv;
                zs[i] = r * (u * u - T(1));
            }
    }
    for (long i = 0; i < m; ++i) {
        T* dq = dz + (q0 + i) * 3 * K;
        for (long k = 0; k < K; ++k) {
            dq[k] = s.za[k * NB + i];
            dq[K + k] = s.mu[k * NB + i];
            dq[2 * K + k] = s.zs[k * NB + i];
        }
    }
}

/* log p(x_d | x_<d) of every pair (logp: N x D) */
template <typename T>
static void forward(const T* x, const T* z, Bias ba, Bias bm, Bias bs, T* logp, long N, long D, long K,
                    bool laplace) {
    RNNRNADE_FM_NB;
    const long Q = N * D, nblocks = (Q + NB - 1) / NB;
#pragma omp parallel if (Q * K >= MIN_PARALLEL_WORK)
    {
        Block<T> s(K);
#pragma omp for schedule(static)
        for (long b = 0; b < nblocks; ++b) {
            const long q0 = b * NB;
            forward_block(x, z, ba, bm, bs, logp, q0, (Q - q0 < NB) ? Q - q0 : NB, D, K, laplace, s);
        }
    }
}

/* the gradient of sum(g * logp) w.r.t. z (dz: N x D x 3K) and the biases (db: the biases' shapes; a bias
   shared by the rows gets the sum over the rows, in row order); every pair is written by one thread */
template <typename T>
static void backward(const T* x, const T* z, Bias ba, Bias bm, Bias bs, const T* g, T* dz, T* const db[3],
                     long N, long D, long K, bool laplace) {
    RNNRNADE_FM_NB;
    const long Q = N * D, nblocks = (Q + NB - 1) / NB;
    const bool per_row[3] = {ba.per_row, bm.per_row, bs.per_row};
#pragma omp parallel if (Q * K >= MIN_PARALLEL_WORK)
    {
        Block<T> s(K);
#pragma omp for schedule(static)
        for (long b = 0; b < nblocks; ++b) {
            const long q0 = b * NB;
            backward_block(x, z, ba, bm, bs, g, dz, q0, (Q - q0 < NB) ? Q - q0 : NB, D, K, laplace, s);
        }
#pragma omp for schedule(static)
        for (long q = 0; q < Q; ++q)
            for (int j = 0; j < 3; ++j)
                if (per_row[j]) std::memcpy(db[j] + q * K, dz + (q * 3 + j) * K, K * sizeof(T));
#pragma omp for schedule(static)
        for (long d = 0; d < D; ++d)
            for (int j = 0; j < 3; ++j) {
                if (per_row[j]) continue;
                T* out = db[j] + d * K;
                for (long k = 0; k < K; ++k) out[k] = T(0);
                for (long n = 0; n < N; ++n) {
                    const T* src = dz + ((n * D + d) * 3 + j) * K;
                    for (long k = 0; k < K; ++k) out[k] += src[k];
                }
            }
    }
}

}  // namespace rnnrnade_fm
