// A seeded generator whose sequence is fixed by this file alone (the standard
// distributions are implementation-defined), so a seed means the same dataset
// on every machine and library version.
#pragma once

#include <cmath>
#include <cstdint>

namespace di::synth {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  // Independent stream for item `index` of the dataset with seed `seed`.
  static Random For(uint64_t seed, uint64_t index, uint64_t stream = 0) {
    Random r(seed ^ 0x9E3779B97F4A7C15ULL);
    r.state_ += Mix(index * 0xD1B54A32D192ED03ULL + stream * 0x8CB92BA72F3D8DD7ULL);
    return r;
  }

  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    return Mix(z);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int Int(int lo, int hiInclusive) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hiInclusive - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  double Sign() { return Chance(0.5) ? 1.0 : -1.0; }
  double Normal() {  // Box-Muller, one value per call keeps the stream simple
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

}  // namespace di::synth
