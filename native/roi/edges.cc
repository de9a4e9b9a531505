#include "roi/edges.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "roi/line_fit.h"

namespace di::roi {

namespace {

// Bilinear sample at a continuous coordinate.
float Sample(const cv::Mat& f, double x, double y) {
  x -= 0.5;
  y -= 0.5;
  const int x0 = int(std::floor(x)), y0 = int(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= f.cols || y0 + 1 >= f.rows) return NAN;
  const float ax = float(x - x0), ay = float(y - y0);
  const float* r0 = f.ptr<float>(y0);
  const float* r1 = f.ptr<float>(y0 + 1);
  return (r0[x0] * (1 - ax) + r0[x0 + 1] * ax) * (1 - ay) + (r1[x0] * (1 - ax) + r1[x0 + 1] * ax) * ay;
}

struct Line {
  cv::Point2d p, d;  // point and unit direction
};

}  // namespace

bool RefineQuad(const cv::Mat& gray, Quad& full, const EdgeRefineParams& p) {
  // Work on the quad's neighbourhood only: a package is a fraction of the frame.
  const cv::Vec4d bb = Bounds({full.begin(), full.end()});
  const int pad = int(std::ceil(p.searchRadius)) + 4;
  cv::Rect roi(cv::Point(int(std::floor(bb[0])) - pad, int(std::floor(bb[1])) - pad),
               cv::Point(int(std::ceil(bb[2])) + pad, int(std::ceil(bb[3])) + pad));
  roi &= cv::Rect(0, 0, gray.cols, gray.rows);
  if (roi.width < 8 || roi.height < 8) return false;
  const cv::Point2d off(roi.x, roi.y);
  Quad quad;
  for (int i = 0; i < 4; ++i) quad[i] = full[i] - off;
  cv::Mat f;
  gray(roi).convertTo(f, CV_32F);
  cv::GaussianBlur(f, f, {0, 0}, 0.8);
  const cv::Point2d centre = (quad[0] + quad[1] + quad[2] + quad[3]) * 0.25;
  std::array<Line, 4> lines;
  const double step = 0.25;
  const int n = int(std::ceil(p.searchRadius / step));
  for (int side = 0; side < 4; ++side) {
    const cv::Point2d a = quad[side], b = quad[(side + 1) % 4];
    const double len = cv::norm(b - a);
    if (len < 8) return false;
    const cv::Point2d d = (b - a) / len;
    cv::Point2d normal(-d.y, d.x);
    if ((((a + b) * 0.5) - centre).dot(normal) < 0) normal = -normal;  // outward
    // Profiles across the side; the step direction (inside darker or brighter)
    // is decided by the majority so clutter on either side cannot flip it.
    std::vector<std::vector<float>> profiles;
    std::vector<cv::Point2d> bases;
    for (int k = 0; k < p.samplesPerSide; ++k) {
      const double t = p.margin + (1 - 2 * p.margin) * (k + 0.5) / p.samplesPerSide;
      const cv::Point2d base = a + (b - a) * t;
      std::vector<float> prof(2 * n + 1);
      bool ok = true;
      for (int i = -n; i <= n && ok; ++i) {
        const cv::Point2d q = base + normal * (i * step);
        prof[i + n] = Sample(f, q.x, q.y);
        ok = !std::isnan(prof[i + n]);
      }
      if (!ok) continue;
      profiles.push_back(std::move(prof));
      bases.push_back(base);
    }
    int rising = 0;
    for (const auto& prof : profiles) rising += prof.back() > prof.front() ? 1 : -1;
    const float sign = rising >= 0 ? 1.f : -1.f;
    std::vector<cv::Point2f> pts;
    for (size_t k = 0; k < profiles.size(); ++k) {
      const auto& prof = profiles[k];
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
  for (int i = 0; i < 4; ++i) full[i] = out[i] + off;
  return true;
}

}  // namespace di::roi
