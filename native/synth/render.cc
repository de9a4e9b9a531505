#include "synth/render.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "synth/random.h"

namespace di::synth {

namespace {

constexpr int kShift = 4;  // sub-pixel bits for OpenCV drawing
constexpr double kOne = 1 << kShift;

cv::Point Fixed(const cv::Point2d& p) {
  // Drawing functions take pixel-centre coordinates; ours are continuous.
  return {int(std::lround((p.x - 0.5) * kOne)), int(std::lround((p.y - 0.5) * kOne))};
}

void FillPoly(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& color) {
  std::vector<cv::Point> f;
  f.reserve(pts.size());
  for (const auto& p : pts) f.push_back(Fixed(p));
  cv::fillPoly(img, std::vector<std::vector<cv::Point>>{f}, color, cv::LINE_AA, kShift);
}

void Polyline(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& color, double thickness) {
  std::vector<cv::Point> f;
  for (const auto& p : pts) f.push_back(Fixed(p));
  cv::polylines(img, std::vector<std::vector<cv::Point>>{f}, false, color, std::max(1, int(std::lround(thickness))),
                cv::LINE_AA, kShift);
}

// Rectangle in die-local coordinates drawn through the die's rotation.
void DieRect(cv::Mat& img, const Scene& sc, double x, double y, double w, double h, const cv::Scalar& color) {
  const double a = sc.dieAngle * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  std::vector<cv::Point2d> pts;
  for (auto [px, py] : {std::pair{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}})
    pts.push_back({sc.dieCenter.x + c * px - s * py, sc.dieCenter.y + s * px + c * py});
  FillPoly(img, pts, color);
}

// 1 from `lo` to `hi`, falling smoothly to 0 at `outerLo` and `outerHi` (a hard
// edge where an outer bound is the inner one).
double Feather(double v, double outerLo, double lo, double hi, double outerHi) {
  double t = 1;
  if (v < lo) t = lo > outerLo ? (v - outerLo) / (lo - outerLo) : 0.0;
  else if (v > hi) t = outerHi > hi ? (outerHi - v) / (outerHi - hi) : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// The patch resized (anisotropically) onto the label box grown by the context margin,
// blended in with an alpha of 1 over the box that falls to 0 at the patch's edge.
void PastePatch(cv::Mat& canvas, const Paste& p) {
  const cv::Vec4d& b = p.box;
  const double mx = p.context * (b[2] - b[0]), my = p.context * (b[3] - b[1]);
  const cv::Vec4d r(b[0] - mx, b[1] - my, b[2] + mx, b[3] + my);
  cv::Rect roi(cv::Point(int(std::floor(r[0])), int(std::floor(r[1]))), cv::Point(int(std::ceil(r[2])), int(std::ceil(r[3]))));
  roi &= cv::Rect(0, 0, canvas.cols, canvas.rows);
  if (roi.empty()) return;
  // Shrinking averages first, so that a large patch on a small box does not alias.
  cv::Mat src = p.patch;
  const int tw = std::max(1, int(std::lround(r[2] - r[0]))), th = std::max(1, int(std::lround(r[3] - r[1])));
  if (tw < src.cols || th < src.rows) cv::resize(src, src, {std::min(tw, src.cols), std::min(th, src.rows)}, 0, 0, cv::INTER_AREA);
  // Patch pixel centre i + 0.5 lands on r[0] + (i + 0.5) * sx (continuous coordinates).
  const double sx = (r[2] - r[0]) / src.cols, sy = (r[3] - r[1]) / src.rows;
  const cv::Matx23d m(sx, 0, r[0] + 0.5 * sx - 0.5 - roi.x, 0, sy, r[1] + 0.5 * sy - 0.5 - roi.y);
  cv::Mat warped;
  cv::warpAffine(src, warped, m, roi.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  std::vector<double> ax(roi.width);
  for (int x = 0; x < roi.width; ++x) ax[x] = Feather(roi.x + x + 0.5, r[0], b[0], b[2], r[2]);
  for (int y = 0; y < roi.height; ++y) {
    const double ay = Feather(roi.y + y + 0.5, r[1], b[1], b[3], r[3]);
    const uchar* s = warped.ptr<uchar>(y);
    uchar* d = canvas.ptr<uchar>(roi.y + y) + 3 * roi.x;
    for (int x = 0; x < roi.width; ++x) {
      const double a = ax[x] * ay;
      if (a <= 0) continue;
      for (int c = 0; c < 3; ++c) d[3 * x + c] = cv::saturate_cast<uchar>(d[3 * x + c] + a * (s[3 * x + c] - d[3 * x + c]));
    }
  }
}

cv::Mat RenderCanvas(const Scene& sc) {
  Random r(sc.textureSeed);
  cv::Mat canvas(sc.ph, sc.pw, CV_8UC3, sc.bodyColor);
  // Moulding texture: faint speckle.
  for (int i = 0; i < 60; ++i) {
    const cv::Point2d p(r.Uniform(0, sc.pw), r.Uniform(0, sc.ph));
    cv::circle(canvas, Fixed(p), int(r.Uniform(2, 6) * kOne), sc.bodyColor * r.Uniform(0.85, 1.15), -1, cv::LINE_AA, kShift);
  }
  // Lead-frame pads along the long edges and bond wires to the die.
  const int pads = r.Int(5, 8);
  const double padW = sc.pw * 0.035, padH = sc.ph * 0.06;
  const double x0 = sc.dieCenter.x - sc.dieW * 0.55, x1 = sc.dieCenter.x + sc.dieW * 0.55;
  for (int side = 0; side < 2; ++side) {
    for (int i = 0; i < pads; ++i) {
      const double px = x0 + (x1 - x0) * (i + 0.5) / pads;
      const double py = side == 0 ? sc.ph * 0.06 : sc.ph * 0.94 - padH;
      FillPoly(canvas, {{px - padW / 2, py}, {px + padW / 2, py}, {px + padW / 2, py + padH}, {px - padW / 2, py + padH}},
               sc.padColor);
    }
  }
  // Die: metallic rectangle with a circuit pattern and bond pads.
  const double hw = sc.dieW / 2, hh = sc.dieH / 2;
  DieRect(canvas, sc, -hw, -hh, sc.dieW, sc.dieH, sc.dieColor);
  const double inset = std::min(sc.dieW, sc.dieH) * 0.12;
  DieRect(canvas, sc, -hw + inset, -hh + inset, sc.dieW - 2 * inset, sc.dieH - 2 * inset, sc.dieColor * 0.86);
  for (int i = 0; i < 14; ++i) {
    const double w = r.Uniform(0.08, 0.3) * (sc.dieW - 2 * inset), h = r.Uniform(0.08, 0.3) * (sc.dieH - 2 * inset);
    const double x = r.Uniform(-hw + inset, hw - inset - w), y = r.Uniform(-hh + inset, hh - inset - h);
    DieRect(canvas, sc, x, y, w, h, sc.dieColor * r.Uniform(0.72, 0.95));
  }
  const double bp = inset * 0.45;
  std::vector<cv::Point2d> bondPads;
  for (int side = 0; side < 2; ++side) {
    for (int i = 0; i < pads; ++i) {
      const double x = -hw + inset + (sc.dieW - 2 * inset) * (i + 0.5) / pads - bp / 2;
      const double y = side == 0 ? -hh + inset * 0.25 : hh - inset * 0.25 - bp;
      DieRect(canvas, sc, x, y, bp, bp, cv::Scalar(120, 200, 225));
      const double a = sc.dieAngle * kPi / 180.0, c = std::cos(a), s = std::sin(a);
      const double cx = x + bp / 2, cy = y + bp / 2;
      bondPads.push_back({sc.dieCenter.x + c * cx - s * cy, sc.dieCenter.y + s * cx + c * cy});
    }
  }
  // Wires: gentle arcs from each die pad to its lead-frame pad.
  for (int side = 0; side < 2; ++side) {
    for (int i = 0; i < pads; ++i) {
      const cv::Point2d a = bondPads[side * pads + i];
      const cv::Point2d b(x0 + (x1 - x0) * (i + 0.5) / pads, side == 0 ? sc.ph * 0.06 + padH / 2 : sc.ph * 0.94 - padH / 2);
      const cv::Point2d mid = (a + b) * 0.5 + cv::Point2d(r.Uniform(-3, 3), 0);
      Polyline(canvas, {a, mid, b}, cv::Scalar(150, 205, 225), 1);
    }
  }
  // LED / passive region and the pin-1 mark.
  FillPoly(canvas, {{sc.led.x, sc.led.y}, {sc.led.x + sc.led.width, sc.led.y}, {sc.led.x + sc.led.width, sc.led.y + sc.led.height},
                    {sc.led.x, sc.led.y + sc.led.height}}, sc.ledColor);
  cv::circle(canvas, Fixed({sc.led.x + sc.led.width / 2, sc.led.y + sc.led.height / 2}),
             int(std::min(sc.led.width, sc.led.height) * 0.22 * kOne), sc.ledColor * 0.55, -1, cv::LINE_AA, kShift);
  cv::circle(canvas, Fixed({sc.pw * 0.06, sc.ph * 0.5}), int(sc.ph * 0.025 * kOne), sc.bodyColor * 1.6, -1, cv::LINE_AA,
             kShift);
  for (const Flaw& f : sc.flaws) {
    if (f.kind == Flaw::Kind::kChip) {
      FillPoly(canvas, f.strokes[0], f.color);
    } else {
      for (const auto& s : f.strokes) Polyline(canvas, s, f.color, f.thickness);
    }
  }
  for (const Paste& p : sc.pastes) PastePatch(canvas, p);
  return canvas;
}

cv::Mat RenderBackground(const Scene& sc, int width, int height) {
  if (!sc.board.empty()) {  // a board made elsewhere (a generator's sample), stretched to the image
    cv::Mat bg;
    const bool shrink = sc.board.cols > width || sc.board.rows > height;
    cv::resize(sc.board, bg, {width, height}, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    return bg;
  }
  Random r(sc.textureSeed ^ 0x5bd1e995ULL);
  // Low-frequency solder-mask variation, then traces, pads, vias, silkscreen.
  cv::Mat low(3, 4, CV_8UC3);
  for (int i = 0; i < 12; ++i) low.at<cv::Vec3b>(i / 4, i % 4) = cv::Vec3b(
      cv::saturate_cast<uchar>(sc.pcbColor[0] * r.Uniform(0.8, 1.2)), cv::saturate_cast<uchar>(sc.pcbColor[1] * r.Uniform(0.8, 1.2)),
      cv::saturate_cast<uchar>(sc.pcbColor[2] * r.Uniform(0.8, 1.2)));
  cv::Mat bg;
  cv::resize(low, bg, {width, height}, 0, 0, cv::INTER_LINEAR);
  const cv::Scalar trace = sc.pcbColor * 1.35, copper(70, 140, 190), silk(225, 230, 230);
  for (int i = 0; i < 28; ++i) {
    cv::Point2d a(r.Uniform(0, width), r.Uniform(0, height));
    std::vector<cv::Point2d> pts{a};
    for (int k = 0; k < 3; ++k) {  // Manhattan-with-45-degree routing
      const double len = r.Uniform(40, 300), dir = r.Int(0, 7) * kPi / 4;
      a += cv::Point2d(std::cos(dir), std::sin(dir)) * len;
      pts.push_back(a);
    }
    Polyline(bg, pts, trace, r.Uniform(3, 9));
  }
  for (int i = 0; i < 30; ++i) {
    const cv::Point2d p(r.Uniform(0, width), r.Uniform(0, height));
    if (r.Chance(0.5)) {
      cv::circle(bg, Fixed(p), int(r.Uniform(4, 9) * kOne), copper, -1, cv::LINE_AA, kShift);
      cv::circle(bg, Fixed(p), int(r.Uniform(1.5, 3) * kOne), cv::Scalar(20, 25, 20), -1, cv::LINE_AA, kShift);
    } else {
      const double w = r.Uniform(8, 30), h = r.Uniform(8, 30);
      FillPoly(bg, {p, p + cv::Point2d(w, 0), p + cv::Point2d(w, h), p + cv::Point2d(0, h)}, r.Chance(0.8) ? copper : silk);
    }
  }
  return bg;
}

// Lighting gradient and sensor noise in one pass over the pixels.
void Expose(cv::Mat& img, const Scene& sc, double gain, uint64_t noiseSeed) {
  Random r(noiseSeed);
  constexpr int kTable = 65521;  // prime, so the pattern does not line up with rows
  std::vector<int16_t> noise(kTable);
  for (auto& v : noise) v = int16_t(std::lround(r.Normal() * sc.noiseSigma * 16));
  const int w = img.cols, h = img.rows;
  size_t k = r.Next() % kTable;
  for (int y = 0; y < h; ++y) {
    uchar* row = img.ptr<uchar>(y);
    const double fy = sc.brightness * gain * (1 + sc.gainY * (double(y) / h - 0.5));
    const double dx = sc.brightness * gain * sc.gainX / w;
    for (int x = 0; x < w; ++x) {
      const int f = int((fy + dx * (x - w / 2.0)) * 4096);
      for (int c = 0; c < 3; ++c, ++k) {
        if (k == kTable) k = 0;
        row[3 * x + c] = cv::saturate_cast<uchar>((row[3 * x + c] * f + noise[k] * 256 + 2048) >> 12);
      }
    }
  }
}

// Darkfield: only light scattered by edges, cracks and texture reaches the
// camera; the flat package and board stay nearly black.
cv::Mat Darkfield(const cv::Mat& clean, Mode mode, Random& r) {
  cv::Mat gray, gx, gy, mag;
  cv::cvtColor(clean, gray, cv::COLOR_BGR2GRAY);
  cv::Sobel(gray, gx, CV_16S, 1, 0, 3);
  cv::Sobel(gray, gy, CV_16S, 0, 1, 3);
  cv::Mat ax, ay;
  cv::convertScaleAbs(gx, ax);
  cv::convertScaleAbs(gy, ay);
  cv::addWeighted(ax, 0.5, ay, 0.5, r.Uniform(2, 5), mag);
  const double target = r.Uniform(5, 11);  // mean level: dark enough for the mode rule
  const double m = cv::mean(mag)[0];
  mag.convertTo(mag, CV_8U, target / std::max(m, 1e-3));
  cv::Vec3d tint = mode == Mode::kDarkfieldWhite ? cv::Vec3d(r.Uniform(0.78, 0.88), r.Uniform(0.9, 0.97), 1.0)
                                                 : cv::Vec3d(1.0, r.Uniform(0.45, 0.6), r.Uniform(0.15, 0.3));
  cv::Mat out;
  cv::Mat chans[3];
  for (int c = 0; c < 3; ++c) mag.convertTo(chans[c], CV_8U, tint[c]);
  cv::merge(chans, 3, out);
  return out;
}

// Poses the package canvas into the image: blends it through a blurred alpha so the
// border is soft. The alpha (the package mask before thresholding) and where it lies.
void PosePackage(cv::Mat& clean, const Scene& sc, const cv::Matx23d& affine, cv::Mat* alphaOut, cv::Rect* roiOut) {
  const cv::Mat canvas = RenderCanvas(sc);
  const Quad quad = sc.PackageQuad();
  cv::Vec4d b = Bounds({quad.begin(), quad.end()});
  const int pad = int(std::ceil(4 * sc.edgeSoftness)) + 2;
  cv::Rect roi(cv::Point(int(std::floor(b[0])) - pad, int(std::floor(b[1])) - pad),
               cv::Point(int(std::ceil(b[2])) + pad, int(std::ceil(b[3])) + pad));
  roi &= cv::Rect(0, 0, clean.cols, clean.rows);
  cv::Matx23d local = affine;
  local(0, 2) -= roi.x;
  local(1, 2) -= roi.y;
  cv::Mat posed, alpha;
  cv::warpAffine(canvas, posed, local, roi.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  // Alpha: a canvas of ones warped like the canvas, so bilinear interpolation
  // puts the 0.5 level exactly on the package outline, then the soft edge.
  cv::warpAffine(cv::Mat::ones(sc.ph, sc.pw, CV_32F), alpha, local, roi.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::GaussianBlur(alpha, alpha, {0, 0}, sc.edgeSoftness);
  cv::Mat region = clean(roi);
  for (int y = 0; y < roi.height; ++y) {
    const float* a = alpha.ptr<float>(y);
    const uchar* src = posed.ptr<uchar>(y);
    uchar* dst = region.ptr<uchar>(y);
    for (int x = 0; x < roi.width; ++x) {
      if (a[x] <= 0.f) continue;
      for (int c = 0; c < 3; ++c) dst[3 * x + c] = cv::saturate_cast<uchar>(dst[3 * x + c] + a[x] * (src[3 * x + c] - dst[3 * x + c]));
    }
  }
  *alphaOut = alpha;
  *roiOut = roi;
}

}  // namespace

Rendered RenderScene(const Scene& sc, const RenderOptions& o) {
  cv::Mat clean = RenderBackground(sc, o.width, o.height);
  const cv::Matx23d affine = ToIndexSpace(sc.CanvasToImage()).get_minor<2, 3>(0, 0);
  // Without the package (the board alone) there is nothing to draw or pose.
  cv::Mat alpha;
  cv::Rect roi;
  if (o.package) PosePackage(clean, sc, affine, &alpha, &roi);

  Rendered out;
  Random r(sc.textureSeed ^ 0xa0761d6478bd642fULL);
  for (Mode m : o.modes) {
    cv::Mat img = m == Mode::kBrightfield ? clean.clone() : Darkfield(clean, m, r);
    Expose(img, sc, m == Mode::kBrightfield ? 1.0 : 0.9, r.Next());
    if (sc.blurSigma > 0) cv::GaussianBlur(img, img, {0, 0}, sc.blurSigma);
    if (m == Mode::kBrightfield && o.crop) {
      const cv::Matx23d toCrop = affine;  // crop pixel -> image pixel, used as the inverse map
      cv::warpAffine(img, out.crop, toCrop, {sc.pw, sc.ph}, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    }
    out.images.push_back(std::move(img));
  }
  if (o.crop && out.crop.empty()) {  // crops are always brightfield, as only brightfield goes on
    cv::Mat img = clean.clone();
    Expose(img, sc, 1.0, r.Next());
    cv::warpAffine(img, out.crop, affine, {sc.pw, sc.ph}, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  }
  if (o.mask && o.package) {
    out.mask = cv::Mat::zeros(o.height, o.width, CV_8U);
    cv::Mat m8;
    cv::threshold(alpha, m8, 0.5, 255, cv::THRESH_BINARY);
    m8.convertTo(out.mask(roi), CV_8U);
  }
  return out;
}

}  // namespace di::synth
