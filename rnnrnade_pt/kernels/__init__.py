"""Frame math: pure symbolic functions of one frame (or one step of a recurrence), with no parameters of their
own. The model modules (:mod:`rnnrnade_pt.models`) compose them into densities, samplers and predictors.

=====================  ==================================================================================
module                 what it holds
=====================  ==================================================================================
``rnade``              RNADE's conditionals: Algorithm 1 as a scan over dimensions, the fast cumulative
                       form, per-row orderings, and Algorithm 1 run generatively (sampling, mean-field)
``rnade_grads``        the supplement's hand-derived RNADE gradient over the fast form
``fused_frame``        the autoregressive hidden and output layers of RNADE and NADE as one C Op
                       (``fused_frame.cpp``), with its gradient Op and its JAX and NumPy versions
``fused_mixture``      RNADE's mixture log-density (Gaussian or Laplace) as one C Op (``fused_mixture.cpp``),
                       with its gradient Op and its JAX and NumPy versions
``nade``               the binary NADE of a frame (RNN-NADE)
``rbm``                the RBM of a frame: free energy, Gibbs chains, CD-k, AIS, mean field (RNN-RBM)
``rnn``                the recurrence over frames, the biases it sets, and its hand-written backward pass
=====================  ==================================================================================
"""
