#include "roi/edges.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "roi/line_fit.h"

namespace di::roi {

namespace {

// Bilinear samples at from + i * dir (continuous coordinates), i = 0..count-1.
// False when the line leaves the image: checking its two ends is enough (the
// image is convex), and the loop then runs without a branch.
template <class T>
bool SampleLine(const cv::Mat& img, cv::Point2d from, cv::Point2d dir, int count, float* out) {
  // Float coordinates: 1e-4 px at 2000 px, far below the interpolation's
  // own precision, and cheaper than double. The ends are checked with the same
  // arithmetic as the loop: x(i) is monotonic in i, so no sample between two
  // inside ends falls outside, rounding included.
  const float fx = float(from.x - 0.5), fy = float(from.y - 0.5), dx = float(dir.x), dy = float(dir.y);
  const float maxX = float(img.cols - 1), maxY = float(img.rows - 1);
  const auto inside = [&](int i) {
    const float x = fx + float(i) * dx, y = fy + float(i) * dy;
    return x >= 0 && y >= 0 && x < maxX && y < maxY;  // false for NaN
  };
  if (count <= 0 || !inside(0) || !inside(count - 1)) return false;
  const uint8_t* data = img.data;
  const size_t step = img.step[0];
  for (int i = 0; i < count; ++i) {
    const float x = fx + float(i) * dx, y = fy + float(i) * dy;
    const int x0 = int(x), y0 = int(y);  // truncation is floor here: both are >= 0
    const float ax = x - float(x0), ay = y - float(y0);
    const T* r0 = reinterpret_cast<const T*>(data + size_t(y0) * step) + x0;
    const T* r1 = reinterpret_cast<const T*>(data + size_t(y0 + 1) * step) + x0;
    const float top = float(r0[0]) + (float(r0[1]) - float(r0[0])) * ax;
    const float bottom = float(r1[0]) + (float(r1[1]) - float(r1[0])) * ax;
    out[i] = top + (bottom - top) * ay;
  }
  return true;
}

// Normalised Gaussian taps at the profile's sample spacing.
std::vector<float> GaussianTaps(double sigma, double step) {
  const int m = int(std::ceil(3 * sigma / step));
  std::vector<float> g(2 * m + 1);
  double sum = 0;
  for (int k = -m; k <= m; ++k) sum += g[k + m] = float(std::exp(-0.5 * std::pow(k * step / sigma, 2)));
  for (auto& v : g) v = float(v / sum);
  return g;
}

struct Line {
  cv::Point2d p, d;  // point and unit direction
};

}  // namespace

bool RefineQuad(const cv::Mat& gray, Quad& quad, const EdgeRefineParams& p) {
  if (gray.channels() != 1 || (gray.depth() != CV_8U && gray.depth() != CV_32F))
    throw std::invalid_argument("RefineQuad needs a single-channel 8-bit or float image");
  const cv::Point2d centre = (quad[0] + quad[1] + quad[2] + quad[3]) * 0.25;
  std::array<Line, 4> lines;
  // A wide search (a coarse outline's) needs no finer steps than 1/32 of its
  // reach: the fine pass that follows places the edge to sub-pixel.
  const double step = std::max(0.25, p.searchRadius / 32);
  const int n = int(std::ceil(p.searchRadius / step));
  // Each profile is smoothed along itself, not the image in 2-D: the side's
  // many profiles and the robust line fit already average along the edge, and
  // blurring across pads and wires beside a die's edge would bend it.
  const std::vector<float> taps = GaussianTaps(p.profileSigma, step);
  const int m = int(taps.size()) / 2, width = 2 * n + 1, rawWidth = width + 2 * m;
  std::vector<float> raw(rawWidth), store(size_t(p.samplesPerSide) * width);
  for (int side = 0; side < 4; ++side) {
    const cv::Point2d a = quad[side], b = quad[(side + 1) % 4];
    const double len = cv::norm(b - a);
    if (len < 8) return false;
    const cv::Point2d d = (b - a) / len;
    cv::Point2d normal(-d.y, d.x);
    if ((((a + b) * 0.5) - centre).dot(normal) < 0) normal = -normal;  // outward
    // Profiles across the side; the step direction (inside darker or brighter)
    // is decided by the majority so clutter on either side cannot flip it.
    std::vector<const float*> profiles;
    std::vector<cv::Point2d> bases;
    for (int k = 0; k < p.samplesPerSide; ++k) {
      const double t = p.margin + (1 - 2 * p.margin) * (k + 0.5) / p.samplesPerSide;
      const cv::Point2d base = a + (b - a) * t;
      const cv::Point2d from = base - normal * ((n + m) * step), dir = normal * step;
      const bool inside = gray.depth() == CV_8U ? SampleLine<uint8_t>(gray, from, dir, rawWidth, raw.data())
                                                : SampleLine<float>(gray, from, dir, rawWidth, raw.data());
      if (!inside) continue;  // runs off the image
      float* prof = store.data() + profiles.size() * width;
      std::fill(prof, prof + width, 0.f);
      for (int j = 0; j <= 2 * m; ++j) {  // tap-major: the inner loop over the profile vectorises
        const float w = taps[j];
        const float* r = raw.data() + j;
        for (int i = 0; i < width; ++i) prof[i] += w * r[i];
      }
      profiles.push_back(prof);
      bases.push_back(base);
    }
    int rising = 0;
    for (const float* prof : profiles) rising += prof[2 * n] > prof[0] ? 1 : -1;
    const float sign = rising >= 0 ? 1.f : -1.f;
    std::vector<cv::Point2f> pts;
    for (size_t k = 0; k < profiles.size(); ++k) {
      const float* prof = profiles[k];
      int best = -1;
      float bestG = 0;
      for (int i = 1; i < 2 * n; ++i) {
        const float g = sign * (prof[i + 1] - prof[i - 1]);
        if (g > bestG) {
          bestG = g;
          best = i;
        }
      }
      if (p.innermostFraction > 0 && best > 0) {
        // the first local maximum, going outward, that is strong enough
        const float floor = float(p.innermostFraction) * bestG;
        for (int i = 2; i < best; ++i) {
          const float g = sign * (prof[i + 1] - prof[i - 1]);
          if (g >= floor && g >= sign * (prof[i] - prof[i - 2]) && g >= sign * (prof[i + 2] - prof[i])) {
            bestG = g;
            best = i;
            break;
          }
        }
      }
      if (best < 2 || best > 2 * n - 2 || bestG < 4.f * step) continue;  // no clear step within reach
      const float gm = sign * (prof[best] - prof[best - 2]), g0 = bestG, gp = sign * (prof[best + 2] - prof[best]);
      const float den = gm - 2 * g0 + gp;
      const double off = std::abs(den) > 1e-6f ? std::clamp(0.5 * (gm - gp) / den, -0.5, 0.5) : 0.0;
      const double s = (best + off - n) * step;
      pts.push_back(cv::Point2f(bases[k] + normal * s));
    }
    if (pts.size() < std::max<size_t>(6, profiles.size() / 3)) return false;
    cv::Vec4f l;
    if (p.restartedFit) cv::fitLine(pts, l, cv::DIST_HUBER, 0, 0.01, 0.01);
    else l = FitLineHuber(pts);
    lines[side] = {{l[2], l[3]}, {l[0], l[1]}};
  }
  Quad out;
  for (int i = 0; i < 4; ++i) {
    if (!IntersectLines(lines[(i + 3) % 4].p, lines[(i + 3) % 4].d, lines[i].p, lines[i].d, out[i])) return false;
    if (cv::norm(out[i] - quad[i]) > 2 * p.searchRadius + 2) return false;  // refinement ran away
  }
  quad = out;
  return true;
}

}  // namespace di::roi
