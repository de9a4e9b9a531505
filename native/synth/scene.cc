#include "synth/scene.h"

#include <algorithm>
#include <cmath>

#include "synth/random.h"

namespace di::synth {

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kBrightfield: return "brightfield";
    case Mode::kDarkfieldWhite: return "darkfield-white";
    case Mode::kDarkfieldBlue: return "darkfield-blue";
  }
  return "brightfield";
}

bool ParseMode(const std::string& s, Mode* out) {
  for (Mode m : {Mode::kBrightfield, Mode::kDarkfieldWhite, Mode::kDarkfieldBlue}) {
    if (s == ModeName(m)) {
      *out = m;
      return true;
    }
  }
  return false;
}

cv::Matx33d Scene::CanvasToImage() const {
  const double a = angle * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  const double hx = pw / 2.0, hy = ph / 2.0;
  // p_img = R (p_canvas - canvasCentre) + center
  return cv::Matx33d(c, -s, center.x - (c * hx - s * hy), s, c, center.y - (s * hx + c * hy), 0, 0, 1);
}

Quad Scene::PackageQuad() const {
  const cv::Matx33d m = CanvasToImage();
  return {Apply(m, {0, 0}), Apply(m, {double(pw), 0}), Apply(m, {double(pw), double(ph)}), Apply(m, {0, double(ph)})};
}

Quad Scene::DieQuadCanvas() const {
  const double a = dieAngle * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  Quad q;
  const double xs[4] = {-dieW / 2, dieW / 2, dieW / 2, -dieW / 2}, ys[4] = {-dieH / 2, -dieH / 2, dieH / 2, dieH / 2};
  for (int i = 0; i < 4; ++i) q[i] = {dieCenter.x + c * xs[i] - s * ys[i], dieCenter.y + s * xs[i] + c * ys[i]};
  return q;
}

namespace {

// Die-local point (origin at the die centre, axes along the die) -> canvas.
cv::Point2d DieToCanvas(const Scene& sc, cv::Point2d p) {
  const double a = sc.dieAngle * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  return {sc.dieCenter.x + c * p.x - s * p.y, sc.dieCenter.y + s * p.x + c * p.y};
}

// A jagged random walk, kept inside a half-size box; `length` in px.
std::vector<cv::Point2d> Walk(Random& r, cv::Point2d start, double length, double hx, double hy) {
  std::vector<cv::Point2d> pts{start};
  double dir = r.Uniform(0, 2 * kPi), walked = 0;
  cv::Point2d p = start;
  while (walked < length) {
    const double step = std::min(length - walked, r.Uniform(1.5, 4.0));
    dir += r.Uniform(-0.6, 0.6);
    cv::Point2d q(p.x + step * std::cos(dir), p.y + step * std::sin(dir));
    if (std::abs(q.x) > hx || std::abs(q.y) > hy) {  // bounce off the die edge
      dir += kPi * 0.5 * r.Sign();
      q = {std::clamp(q.x, -hx, hx), std::clamp(q.y, -hy, hy)};
    }
    pts.push_back(q);
    walked += step;
    p = q;
  }
  return pts;
}

double CrackLength(Random& r, double dieSize) {
  const double u = r.Uniform();
  if (u < 0.5) return r.Uniform(6, 26);  // small objects dominate, as in the study
  if (u < 0.8) return r.Uniform(26, 80);
  return r.Uniform(80, std::max(90.0, 0.75 * dieSize));
}

Flaw DieFlaw(Random& r, const Scene& sc) {
  Flaw f;
  const double hx = sc.dieW / 2 - 3, hy = sc.dieH / 2 - 3;
  const double u = r.Uniform();
  f.color = cv::Scalar(r.Uniform(20, 45), r.Uniform(20, 45), r.Uniform(25, 50));
  if (u < 0.6) {
    f.kind = Flaw::Kind::kCrack;
    f.thickness = r.Uniform(1.0, 2.4);
    const double len = CrackLength(r, std::min(sc.dieW, sc.dieH));
    const cv::Point2d start(r.Uniform(-hx * 0.8, hx * 0.8), r.Uniform(-hy * 0.8, hy * 0.8));
    std::vector<cv::Point2d> main = Walk(r, start, len, hx, hy);
    if (len > 30 && r.Chance(0.5)) {  // a branch from somewhere along the crack
      const cv::Point2d from = main[r.Int(1, int(main.size()) - 1)];
      std::vector<cv::Point2d> branch = Walk(r, from, len * r.Uniform(0.2, 0.5), hx, hy);
      for (auto& p : branch) p = DieToCanvas(sc, p);
      f.strokes.push_back(branch);
    }
    for (auto& p : main) p = DieToCanvas(sc, p);
    f.strokes.insert(f.strokes.begin(), main);
  } else if (u < 0.8) {
    // A chip: an irregular notch bitten out of a die edge.
    f.kind = Flaw::Kind::kChip;
    const double size = r.Uniform(4, 16);
    const int side = r.Int(0, 3);
    const double t = r.Uniform(-0.8, 0.8);
    cv::Point2d base = side == 0 ? cv::Point2d(t * hx, -hy - 3) : side == 1 ? cv::Point2d(hx + 3, t * hy)
                     : side == 2 ? cv::Point2d(t * hx, hy + 3) : cv::Point2d(-hx - 3, t * hy);
    const cv::Point2d inward = side == 0 ? cv::Point2d(0, 1) : side == 1 ? cv::Point2d(-1, 0)
                             : side == 2 ? cv::Point2d(0, -1) : cv::Point2d(1, 0);
    const cv::Point2d along(-inward.y, inward.x);
    std::vector<cv::Point2d> poly;
    const int n = r.Int(4, 7);
    for (int i = 0; i < n; ++i) {
      const double s = (double(i) / (n - 1) - 0.5) * size;
      const double depth = (i == 0 || i == n - 1) ? 0 : r.Uniform(0.3, 0.8) * size;
      poly.push_back(DieToCanvas(sc, base + along * s + inward * depth));
    }
    f.strokes.push_back(poly);
    f.thickness = 0;
    f.color = sc.bodyColor * r.Uniform(0.8, 1.1);
  } else {
    f.kind = Flaw::Kind::kScratch;
    f.thickness = r.Uniform(0.8, 1.6);
    const double len = CrackLength(r, std::min(sc.dieW, sc.dieH));
    const double dir = r.Uniform(0, 2 * kPi), bend = r.Uniform(-0.15, 0.15);
    cv::Point2d p(r.Uniform(-hx * 0.7, hx * 0.7), r.Uniform(-hy * 0.7, hy * 0.7));
    std::vector<cv::Point2d> pts{DieToCanvas(sc, p)};
    const int steps = std::max(2, int(len / 4));
    for (int i = 1; i <= steps; ++i) {
      const double d = dir + bend * i / steps;
      p += cv::Point2d(std::cos(d), std::sin(d)) * (len / steps);
      p = {std::clamp(p.x, -hx, hx), std::clamp(p.y, -hy, hy)};
      pts.push_back(DieToCanvas(sc, p));
    }
    f.strokes.push_back(pts);
    f.color = r.Chance(0.5) ? f.color : cv::Scalar(235, 235, 240);
  }
  return f;
}

Flaw LedCrack(Random& r, const Scene& sc) {
  Flaw f;
  f.distractor = true;
  f.thickness = r.Uniform(1.0, 2.0);
  f.color = cv::Scalar(r.Uniform(30, 60), r.Uniform(40, 70), r.Uniform(50, 80));
  const cv::Point2d c(sc.led.x + sc.led.width / 2, sc.led.y + sc.led.height / 2);
  std::vector<cv::Point2d> pts = Walk(r, {0, 0}, r.Uniform(8, 0.8 * std::max(sc.led.width, sc.led.height)),
                                      sc.led.width / 2 - 2, sc.led.height / 2 - 2);
  for (auto& p : pts) p += c;
  f.strokes.push_back(pts);
  return f;
}

}  // namespace

std::vector<Label> GroundTruth(const Scene& sc) {
  std::vector<Label> out;
  const cv::Matx33d m = sc.CanvasToImage();
  auto clip = [&](cv::Vec4d b) {
    return cv::Vec4d(std::max(0.0, b[0]), std::max(0.0, b[1]), std::min<double>(sc.pw, b[2]), std::min<double>(sc.ph, b[3]));
  };
  if (sc.dieRotationDefect) {
    const Quad q = sc.DieQuadCanvas();
    Label l{"die_rotation", clip(Bounds({q.begin(), q.end()})), {}, {}, ""};
    for (const auto& p : q) l.quad.push_back(Apply(m, p));
    l.box = Bounds(l.quad);
    out.push_back(l);
  }
  for (const Paste& p : sc.pastes) {
    Label l{p.label, clip(p.box), {}, {}, "gan"};
    const cv::Vec4d& c = l.cropBox;
    for (auto [x, y] : {std::pair{c[0], c[1]}, {c[2], c[1]}, {c[2], c[3]}, {c[0], c[3]}}) l.quad.push_back(Apply(m, {x, y}));
    l.box = Bounds(l.quad);
    out.push_back(l);
  }
  for (const Flaw& f : sc.flaws) {
    // Strokes are drawn anti-aliased with their thickness: grow by half of it
    // plus half a pixel so the box covers every darkened pixel.
    const double grow = f.kind == Flaw::Kind::kChip ? 0.5 : f.thickness / 2 + 0.5;
    std::vector<cv::Point2d> canvasPts, imagePts;
    for (const auto& s : f.strokes) {
      for (const auto& p : s) {
        for (auto [dx, dy] : {std::pair{-grow, -grow}, {grow, -grow}, {grow, grow}, {-grow, grow}}) {
          canvasPts.push_back(p + cv::Point2d(dx, dy));
          imagePts.push_back(Apply(m, p) + cv::Point2d(dx, dy));
        }
      }
    }
    Label l{f.distractor ? "led_crack" : "die_crack", clip(Bounds(canvasPts)), Bounds(imagePts), {}, ""};
    const cv::Vec4d& c = l.cropBox;
    for (auto [x, y] : {std::pair{c[0], c[1]}, {c[2], c[1]}, {c[2], c[3]}, {c[0], c[3]}}) l.quad.push_back(Apply(m, {x, y}));
    out.push_back(l);
  }
  return out;
}

Scene SampleScene(const SceneOptions& o, uint64_t seed, uint64_t index) {
  Random r = Random::For(seed, index);
  Scene sc;
  const double shortSide = std::min(o.width, o.height);
  const double aspect = r.Uniform(1.25, 1.6);
  sc.pw = int(std::lround(r.Uniform(0.36, 0.52) * shortSide * 1.15));
  sc.ph = int(std::lround(sc.pw / aspect));
  sc.angle = r.Uniform(0, 360);
  const double radius = std::hypot(sc.pw, sc.ph) / 2, margin = 0.03 * shortSide;
  const double lo_x = radius + margin, hi_x = o.width - radius - margin;
  const double lo_y = radius + margin, hi_y = o.height - radius - margin;
  // Large packages on small images cannot turn freely: keep them inside anyway.
  sc.center = {hi_x > lo_x ? r.Uniform(lo_x, hi_x) : o.width / 2.0, hi_y > lo_y ? r.Uniform(lo_y, hi_y) : o.height / 2.0};

  // Black mould compound on a green board: the package is clearly darker than
  // the board, the border still soft (the study's complaint).
  const double body = r.Uniform(22, 44);
  sc.bodyColor = cv::Scalar(body * r.Uniform(0.95, 1.1), body, body * r.Uniform(0.9, 1.05));
  const double die = r.Uniform(165, 215);
  sc.dieColor = cv::Scalar(die * r.Uniform(0.92, 1.0), die * r.Uniform(0.95, 1.0), die * r.Uniform(0.95, 1.05));
  sc.padColor = cv::Scalar(r.Uniform(60, 90), r.Uniform(150, 185), r.Uniform(190, 225));
  sc.ledColor = cv::Scalar(r.Uniform(190, 230), r.Uniform(225, 250), r.Uniform(235, 255));
  sc.pcbColor = cv::Scalar(r.Uniform(40, 75), r.Uniform(110, 150), r.Uniform(35, 65));

  // The die sits left of centre and the LED near the right end: with the long
  // side horizontal this fixes the upright orientation (see roi/orientation).
  sc.dieW = sc.pw * r.Uniform(0.30, 0.38);
  sc.dieH = sc.ph * r.Uniform(0.42, 0.55);
  sc.dieCenter = {sc.pw * r.Uniform(0.38, 0.42), sc.ph * r.Uniform(0.47, 0.53)};
  const double ledW = sc.pw * r.Uniform(0.08, 0.11), ledH = sc.ph * r.Uniform(0.16, 0.24);
  sc.led = {sc.pw * r.Uniform(0.80, 0.84), sc.ph * r.Uniform(0.38, 0.42), ledW, ledH};

  const double kind = r.Uniform();
  const bool good = kind < o.goodFraction;
  const bool crack = !good && kind < o.goodFraction + o.crackFraction;
  sc.dieRotationDefect = !good && !crack;
  if (sc.dieRotationDefect) {
    sc.dieAngle = r.Sign() * r.Uniform(1.0, 15.0);
  } else {
    sc.dieAngle = r.Uniform(-o.goodDieTolerance, o.goodDieTolerance);
  }
  if (crack || (sc.dieRotationDefect && r.Chance(0.15))) {
    const int n = r.Chance(0.7) ? 1 : r.Int(2, 3);
    for (int i = 0; i < n; ++i) sc.flaws.push_back(DieFlaw(r, sc));
  }
  if (r.Chance(o.distractorRate)) sc.flaws.push_back(LedCrack(r, sc));

  sc.edgeSoftness = r.Uniform(1.0, 3.0);
  sc.gainX = r.Uniform(-0.25, 0.25);
  sc.gainY = r.Uniform(-0.25, 0.25);
  sc.brightness = r.Uniform(0.85, 1.15);
  sc.noiseSigma = r.Uniform(1.5, 6.0);
  sc.blurSigma = r.Chance(0.5) ? r.Uniform(0.6, 1.3) : 0.0;
  sc.jpegQuality = r.Int(78, 95);
  sc.textureSeed = r.Next();
  return sc;
}

double UprightDieAngle(const Scene& sc, const SceneOptions& o, uint64_t seed, uint64_t index) {
  if (!sc.dieRotationDefect) return sc.dieAngle;
  Random r = Random::For(seed, index, 1);  // a stream of its own: the sampled scene is left as it is
  return r.Uniform(-o.goodDieTolerance, o.goodDieTolerance);
}

void MakeDefectFree(Scene& sc, const SceneOptions& o, uint64_t seed, uint64_t index) {
  sc.dieAngle = UprightDieAngle(sc, o, seed, index);
  sc.dieRotationDefect = false;
  sc.flaws.erase(std::remove_if(sc.flaws.begin(), sc.flaws.end(), [](const Flaw& f) { return !f.distractor; }), sc.flaws.end());
}

}  // namespace di::synth
