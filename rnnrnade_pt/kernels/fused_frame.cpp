// The C++ kernels of the fused RNADE/NADE frame Ops (rnnrnade_pt/kernels/fused_frame.py): support code
// shared by FusedFrame and FusedFrameGrad, compiled by PyTensor's C backend with -fopenmp.
// exp_ (glibc's vector exp) comes from the prelude every C Op of the package shares (VectorMathCOp).
#include <cstring>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace rnnrnade_ff {

template <typename T> static inline T sigm(T v) { return T(1) / (T(1) + exp_(-v)); }

/* h = act(rho a) over a block: the sigmoid, or with relu the rectifier max(rho a, 0) */
template <typename T>
static inline void hidden(const T* a, T* h, long n, T r, bool relu) {
    if (relu)
        for (long k = 0; k < n; ++k) h[k] = (r * a[k] > T(0)) ? r * a[k] : T(0);
    else
        for (long k = 0; k < n; ++k) h[k] = sigm(r * a[k]);
}

/* VT[d][p][h] = V[d][h][p] */
template <typename T>
static void transpose_V(const T* V, T* VT, long D, long H, long P) {
    for (long d = 0; d < D; ++d)
        for (long h = 0; h < H; ++h)
            for (long p = 0; p < P; ++p) VT[(d * P + p) * H + h] = V[(d * H + h) * P + p];
}

/* WT[d][h] = W[h][d] */
template <typename T>
static void transpose_W(const T* W, T* WT, long H, long D) {
    for (long h = 0; h < H; ++h)
        for (long d = 0; d < D; ++d) WT[d * H + h] = W[h * D + d];
}

/* One block of NB rows at a time (as many as fill a 64-byte SIMD register: 16 floats or 8 doubles), laid
   out with the rows last (aT[h * NB + i]) so that the inner loops run over the block's rows with SIMD; rows
   past N are padded with zeros and never written out. */
#define RNNRNADE_FF_NB const long NB = 64 / sizeof(T)

template <typename T>
static void load_block(const T* x, const T* c, T* xb, T* aT, long n0, long m, long D, long H) {
    RNNRNADE_FF_NB;
    for (long d = 0; d < D; ++d)
        for (long i = 0; i < NB; ++i) xb[d * NB + i] = (i < m) ? x[(n0 + i) * D + d] : T(0);
    for (long h = 0; h < H; ++h)
        for (long i = 0; i < NB; ++i) aT[h * NB + i] = (i < m) ? c[(n0 + i) * H + h] : T(0);
}

/* out (R x NB) = M (R x K, row-major) times X (K x NB): RB rows of M at a time, so that RB x NB independent
   sums are in flight (one running sum per row would wait on each add's latency). */
template <typename T, int RB>
static inline void rows_times_block(const T* M, long K, const T* X, T* out, long r0) {
    RNNRNADE_FF_NB;
    typedef T vec __attribute__((vector_size(64)));  /* the NB rows of a block */
    vec acc[RB];
    for (int q = 0; q < RB; ++q) acc[q] = vec{} ;
    for (long k = 0; k < K; ++k) {
        vec xk;
        std::memcpy(&xk, X + k * NB, sizeof(vec));
        for (int q = 0; q < RB; ++q) acc[q] += M[(r0 + q) * K + k] * xk;
    }
    for (int q = 0; q < RB; ++q) std::memcpy(out + (r0 + q) * NB, &acc[q], sizeof(vec));
}

template <typename T>
static void matmul_block(const T* M, long R, long K, const T* X, T* out) {
    long r = 0;
    for (; r + 6 <= R; r += 6) rows_times_block<T, 6>(M, K, X, out, r);
    for (; r < R; ++r) rows_times_block<T, 1>(M, K, X, out, r);
}

/* P rounded up to whole SIMD registers */
template <typename T>
static inline long padded_len(long P) { const long NB = 64 / sizeof(T); return (P + NB - 1) / NB * NB; }

/* out (R x NV registers, row stride nv registers) += hT^T G over the block's m rows, for RB rows of out
   and NV registers of its columns: the sums over the rows stay in registers (one load and store of out per
   block, not per row). hT is R x NB (rows last), G is m x (nv NB). */
template <typename T, int RB, int NV>
static inline void add_outer_tile(const T* hT, const T* G, T* out, long nv, long m, long r0, long c0) {
    RNNRNADE_FF_NB;
    typedef T vec __attribute__((vector_size(64)));
    vec acc[RB][NV];
    for (int q = 0; q < RB; ++q)
        for (int v = 0; v < NV; ++v) acc[q][v] = vec{};
    for (long i = 0; i < m; ++i) {
        vec g[NV];
        for (int v = 0; v < NV; ++v) std::memcpy(&g[v], G + (i * nv + c0 + v) * NB, sizeof(vec));
        for (int q = 0; q < RB; ++q) {
            const T hv = hT[(r0 + q) * NB + i];
            for (int v = 0; v < NV; ++v) acc[q][v] += hv * g[v];
        }
    }
    for (int q = 0; q < RB; ++q)
        for (int v = 0; v < NV; ++v) {
            T* o = out + ((r0 + q) * nv + c0 + v) * NB;
            vec r;
            std::memcpy(&r, o, sizeof(vec));
            r += acc[q][v];
            std::memcpy(o, &r, sizeof(vec));
        }
}

template <typename T, int RB>
static inline void add_outer_rows(const T* hT, const T* G, T* out, long nv, long m, long r0) {
    long c = 0;
    for (; c + 2 <= nv; c += 2) add_outer_tile<T, RB, 2>(hT, G, out, nv, m, r0, c);
    for (; c < nv; ++c) add_outer_tile<T, RB, 1>(hT, G, out, nv, m, r0, c);
}

template <typename T>
static void add_outer(const T* hT, const T* G, T* out, long R, long nv, long m) {
    long r = 0;
    for (; r + 4 <= R; r += 4) add_outer_rows<T, 4>(hT, G, out, nv, m, r);
    for (; r < R; ++r) add_outer_rows<T, 1>(hT, G, out, nv, m, r);
}

/* Whether a call has enough work (multiply-adds of the output layers and the accumulators) for a team of
   threads: below about a million, its start and barriers cost more than the work (tens of microseconds, and
   milliseconds when another process holds the other cores: a barrier then waits for a descheduled thread). */
static inline bool parallel_worth_it(long N, long D, long H, long P) { return N * D * H * (P + 1) >= (1L << 20); }

/* Scratch of one thread: a block's accumulators (all D of them in the backward pass), hidden units, ... */
template <typename T>
struct Scratch {
    static const long NB = 64 / sizeof(T);
    std::vector<T> A, G, hT, dhT, zT, xb, gzP;
    Scratch(long D, long H, long P, bool all_a)
        : A((all_a ? D : 1) * H * NB), G(H * NB), hT(H * NB), dhT(H * NB), zT(P * NB), xb(D * NB),
          gzP(NB * padded_len<T>(P)) {}
};

/* The rows n0 .. n0 + m of z. Called from inside the parallel loop with everything by value: the
   compiler then keeps the loops' bounds in registers and vectorises them (it does not when the loops sit
   in the parallel region and read its shared variables). */
template <typename T>
static __attribute__((noinline)) void forward_block(const T* x, const T* WT, const T* c, const T* rho,
        const T* VT, T* z, long N, long D, long H, long P, long n0, long m, bool relu, Scratch<T>& s) {
    RNNRNADE_FF_NB;
    T* aT = s.A.data();
    T* hT = s.hT.data();
    T* zT = s.zT.data();
    const T* xb = s.xb.data();
    load_block(x, c, s.xb.data(), aT, n0, m, D, H);
    for (long d = 0; d < D; ++d) {
        const T r = rho[d];
        hidden(aT, hT, H * NB, r, relu);
        matmul_block(VT + d * P * H, P, H, hT, zT);  /* z_d^T = V_d^T h_d^T */
        for (long i = 0; i < m; ++i)
            for (long p = 0; p < P; ++p) z[((n0 + i) * D + d) * P + p] = zT[p * NB + i];
        const T* WTd = WT + d * H;
        const T* xd = xb + d * NB;
        for (long h = 0; h < H; ++h) {
            const T w = WTd[h];
            for (long i = 0; i < NB; ++i) aT[h * NB + i] += w * xd[i];
        }
    }
}

template <typename T>
static void forward(const T* x, const T* WT, const T* c, const T* rho, const T* VT, T* z,
                    long N, long D, long H, long P, bool relu) {
    RNNRNADE_FF_NB;
    const long nblocks = (N + NB - 1) / NB;
#pragma omp parallel if (parallel_worth_it(N, D, H, P))
    {
        Scratch<T> s(D, H, P, false);
#pragma omp for schedule(static)
        for (long b = 0; b < nblocks; ++b) {
            const long n0 = b * NB;
            forward_block(x, WT, c, rho, VT, z, N, D, H, P, n0, (N - n0 < NB) ? N - n0 : NB, relu, s);
        }
    }
}

/* The contribution of rows n0 .. n0 + m to the gradients: dV (D x H x Pp, P padded to whole SIMD
   registers), dWT (D x H) and drho are added to the thread's sums, dc (N x H) is written. */
template <typename T>
static __attribute__((noinline)) void backward_block(const T* x, const T* WT, const T* c, const T* rho,
        const T* V, const T* gz, T* dWT, T* dc, T* drho, T* dV, long N, long D, long H, long P, long n0,
        long m, bool relu, Scratch<T>& s) {
    RNNRNADE_FF_NB;
    T* A = s.A.data();
    T* G = s.G.data();
    T* hT = s.hT.data();
    T* dhT = s.dhT.data();
    T* gzT = s.zT.data();
    T* gzP = s.gzP.data();
    const T* xb = s.xb.data();
    load_block(x, c, s.xb.data(), A, n0, m, D, H);  /* A[0] = c */
    for (long d = 1; d < D; ++d) {
        const T* WTp = WT + (d - 1) * H;
        const T* xp = xb + (d - 1) * NB;
        const T* prev = A + (d - 1) * H * NB;
        T* cur = A + d * H * NB;
        for (long h = 0; h < H; ++h)
            for (long i = 0; i < NB; ++i) cur[h * NB + i] = prev[h * NB + i] + WTp[h] * xp[i];
    }
    for (long k = 0; k < H * NB; ++k) G[k] = 0;
    for (long d = D - 1; d >= 0; --d) {
        const T r = rho[d];
        const T* Ad = A + d * H * NB;
        hidden(Ad, hT, H * NB, r, relu);
        for (long p = 0; p < P; ++p)
            for (long i = 0; i < NB; ++i) gzT[p * NB + i] = (i < m) ? gz[((n0 + i) * D + d) * P + p] : T(0);
        matmul_block(V + d * H * P, H, P, gzT, dhT);  /* dh_d^T = V_d gz_d^T */
        const long Pp = padded_len<T>(P), nv = Pp / NB;
        for (long i = 0; i < m; ++i)
            for (long p = 0; p < Pp; ++p) gzP[i * Pp + p] = (p < P) ? gz[((n0 + i) * D + d) * P + p] : T(0);
        add_outer(hT, gzP, dV + d * H * Pp, H, nv, m);  /* dV_d += h_d^T gz_d */
        T rsum = 0;
        for (long k = 0; k < H * NB; ++k) {  /* d/dpsi = d/dh act'(psi): h (1 - h), or 1 where h > 0 */
            const T dpsi = relu ? ((hT[k] > T(0)) ? dhT[k] : T(0)) : dhT[k] * hT[k] * (T(1) - hT[k]);
            rsum += dpsi * Ad[k];
            G[k] += r * dpsi;
        }
        drho[d] += rsum;
        if (d > 0) {
            const T* xp = xb + (d - 1) * NB;
            T* dw = dWT + (d - 1) * H;
            for (long h = 0; h < H; ++h) {
                T t = 0;
                for (long i = 0; i < NB; ++i) t += xp[i] * G[h * NB + i];
                dw[h] += t;
            }
        }
    }
    for (long i = 0; i < m; ++i)
        for (long h = 0; h < H; ++h) dc[(n0 + i) * H + h] = G[h * NB + i];
}

/* Gradients of sum(gz * z) w.r.t. W (written as dWT, D x H), c (dc, N x H), rho (drho) and V (dV,
   D x H x P). Each thread sums into its own buffers; they are added in thread order afterwards, so the
   result is the same at every call. */
template <typename T>
static void backward(const T* x, const T* WT, const T* c, const T* rho, const T* V, const T* gz,
                     T* dWT, T* dc, T* drho, T* dV, long N, long D, long H, long P, bool relu) {
    RNNRNADE_FF_NB;
    const long nblocks = (N + NB - 1) / NB;
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = parallel_worth_it(N, D, H, P) ? omp_get_max_threads() : 1;
#endif
    const long Pp = padded_len<T>(P);
    const long nacc = D * H * Pp + D * H + D;
    std::vector<std::vector<T>> acc(nthreads);
#pragma omp parallel num_threads(nthreads)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        std::vector<T>& mine = acc[tid];
        mine.assign(nacc, T(0));
        Scratch<T> s(D, H, P, true);
#pragma omp for schedule(static)
        for (long b = 0; b < nblocks; ++b) {
            const long n0 = b * NB;
            T* tdWT = mine.data() + D * H * Pp;
            backward_block(x, WT, c, rho, V, gz, tdWT, dc, tdWT + D * H, mine.data(), N, D, H, P, n0,
                           (N - n0 < NB) ? N - n0 : NB, relu, s);
        }
    }
    std::fill(dV, dV + D * H * P, T(0));
    std::fill(dWT, dWT + D * H, T(0));
    std::fill(drho, drho + D, T(0));
    for (int t = 0; t < nthreads; ++t) {
        if (acc[t].empty()) continue;
        const T* a = acc[t].data();
        for (long k = 0; k < D * H; ++k)
            for (long p = 0; p < P; ++p) dV[k * P + p] += a[k * Pp + p];
        for (long k = 0; k < D * H; ++k) dWT[k] += a[D * H * Pp + k];
        for (long k = 0; k < D; ++k) drho[k] += a[D * H * Pp + D * H + k];
    }
}

}  // namespace rnnrnade_ff
