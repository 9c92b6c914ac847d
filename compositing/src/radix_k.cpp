// SPDX-License-Identifier: Apache-2.0
/// \file Radix-k (Peterka et al. 2009; IceT's radixk.c). The m groups (ranks folded down so that
/// m's prime factors are small) are numbered in mixed radix k_0 x k_1 x ...; in round i the k_i
/// groups that differ only in digit i hold the same part of the image and do a direct send among
/// themselves, group with digit d keeping part d. Digit i grows with depth and, after round i,
/// each group holds a block of k_0*...*k_i consecutive groups, so the k_i blocks of a round are
/// consecutive in visibility order, nearest at digit 0. k = 2 everywhere is binary swap; one round
/// of k = m is direct send: radix-k spans between them.
#include <algorithm>
#include <array>

#include "exchange.h"
#include "strategies.h"

namespace libindex::compositing::detail {

namespace {

/// The prime factors of n >= 1, ascending, into `primes` (an int has at most 31); returns how many.
int prime_factors(int n, std::array<int, 32>& primes) {
  int count = 0;
  for (int f = 2; f * f <= n; ++f)
    while (n % f == 0) primes[size_t(count++)] = f, n /= f;
  if (n > 1) primes[size_t(count++)] = n;
  return count;
}

} // namespace

int radix_k_groups(int ranks, int k) {
  // A prime radix above 2k would make one round a wide direct send; fold a few ranks instead.
  std::array<int, 32> primes;
  for (int m = ranks; m >= 2 && 2 * m >= ranks; --m) {
    const int count = prime_factors(m, primes);
    if (primes[size_t(count - 1)] <= 2 * k) return m;
  }
  return 1;
}

void radix_k_factors(int m, int k, std::vector<int>& factors) {
  std::array<int, 32> primes;
  const int count = prime_factors(m, primes);
  std::sort(primes.begin(), primes.begin() + count, std::greater<>());
  factors.clear();
  for (int i = 0; i < count; ++i) {
    const int p = primes[size_t(i)];
    auto fits = std::find_if(factors.begin(), factors.end(), [&](int f) { return f * p <= k; });
    if (fits != factors.end())
      *fits *= p;
    else
      factors.push_back(p);
  }
}

std::vector<int> radix_k_factors(int m, int k) {
  std::vector<int> factors;
  radix_k_factors(m, k, factors);
  return factors;
}

void radix_k(Context& ctx, Tile& tile) {
  const int m = radix_k_groups(ctx.size, ctx.radix_k);
  std::vector<int>& factors = ctx.work->factors;
  radix_k_factors(m, ctx.radix_k, factors);
  ctx.rounds = (m < ctx.size ? 1 : 0) + int(factors.size());
  int group = 0;
  const std::span<const int> leaders = fold(ctx, tile, m, group);
  if (group < 0) return; // folded away: nothing left to composite
  int stride = 1, tag = first_round_tag;
  std::vector<int>& members = ctx.work->members;
  for (int k : factors) {
    const int digit = (group / stride) % k;
    members.resize(size_t(k));
    for (int d = 0; d < k; ++d) members[size_t(d)] = leaders[size_t(group + (d - digit) * stride)];
    swap_round(ctx, tile, members, digit, tag++);
    stride *= k;
  }
}

} // namespace libindex::compositing::detail
