"""The Monte Carlo check of a scenario's KL (or MI) truth, shared by the scenario tests."""

import math


def mc_kl(scen, n, seed):
    """Return the mean of log p - log q over ``scen.sample(n, seed)``'s P side and its SE.

    Exact log-densities on samples of P: an unbiased estimate of KL(P||Q) whose standard error
    is the log-ratio's SD over sqrt(n).
    """
    x_p, _ = scen.sample(n, seed)
    ratio = scen.p.log_prob(x_p) - scen.q.log_prob(x_p)
    return ratio.mean(), ratio.std() / math.sqrt(n)
