// SPDX-License-Identifier: Apache-2.0
/// \file Radix-k (Peterka et al. 2009; IceT's radixk.c). The m groups (ranks folded down so that
/// m's prime factors are small) are numbered in mixed radix k_0 x k_1 x ...; in round i the k_i
/// groups that differ only in digit i hold the same part of the image and do a direct send among
/// themselves, group with digit d keeping part d. Digit i grows with depth and, after round i,
/// each group holds a block of k_0*...*k_i consecutive groups, so the k_i blocks of a round are
/// consecutive in visibility order, nearest at digit 0. k = 2 everywhere is binary swap; one round
/// of k = m is direct send: radix-k spans between them.
#include <algorithm>

#include "exchange.h"
#include "strategies.h"

namespace libindex::compositing::detail {

namespace {

std::vector<int> prime_factors(int n) {
  std::vector<int> primes;
  for (int f = 2; f * f <= n; ++f)
    while (n % f == 0) primes.push_back(f), n /= f;
  if (n > 1) primes.push_back(n);
  return primes;
}

} // namespace

int radix_k_groups(int ranks, int k) {
  // A prime radix above 2k would make one round a wide direct send; fold a few ranks instead.
  for (int m = ranks; m >= 2 && 2 * m >= ranks; --m) {
    const std::vector<int> primes = prime_factors(m);
    if (*std::max_element(primes.begin(), primes.end()) <= 2 * k) return m;
  }
  return 1;
}

std::vector<int> radix_k_factors(int m, int k) {
  std::vector<int> primes = prime_factors(m);
  std::sort(primes.begin(), primes.end(), std::greater<>());
  std::vector<int> factors;
  for (int p : primes) {
    auto fits = std::find_if(factors.begin(), factors.end(), [&](int f) { return f * p <= k; });
    if (fits != factors.end())
      *fits *= p;
    else
      factors.push_back(p);
  }
  return factors;
}

void radix_k(Context& ctx, Tile& tile) {
  const int m = radix_k_groups(ctx.size, ctx.radix_k);
  const std::vector<int> factors = radix_k_factors(m, ctx.radix_k);
  ctx.rounds = (m < ctx.size ? 1 : 0) + int(factors.size());
  int group = 0;
  const std::vector<int> leaders = fold(ctx, tile, m, group);
  if (group < 0) return; // folded away: nothing left to composite
  int stride = 1, tag = first_round_tag;
  std::vector<int> members;
  for (int k : factors) {
    const int digit = (group / stride) % k;
    members.resize(size_t(k));
    for (int d = 0; d < k; ++d) members[size_t(d)] = leaders[size_t(group + (d - digit) * stride)];
    swap_round(ctx, tile, members, digit, tag++);
    stride *= k;
  }
}

} // namespace libindex::compositing::detail
