#include "core/annotate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

namespace di {

namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
// A pixel of a labelled outline (another detection's box) under a label costs as much as
// moving the label this many pixels away; of any other outline (a package's), a few times less.
constexpr double kLabelledOutlineWeight = 2, kOutlineWeight = 0.25;

int TextThickness(double fontScale) { return std::max(1, int(std::lround(fontScale * 2))); }

// A text's filled background (2 px around the glyphs and their baseline) and where the glyphs start in it.
struct TextBox {
  cv::Size size;
  cv::Point origin;
};

TextBox MeasureText(const Shape& s) {
  int baseline = 0;
  const cv::Size t = cv::getTextSize(s.text, kFont, s.fontScale, TextThickness(s.fontScale), &baseline);
  return {{t.width + 5, t.height + baseline + 5}, {2, t.height + 2}};
}

// One side of an outline as drawn, `pad` being half its line width; `weight`: the cost of covering it.
struct Segment {
  cv::Point2d a, b;
  double pad, weight;
};

// Length of segment s within rectangle r grown by s.pad (Liang-Barsky clipping).
double LengthInside(const Segment& s, const cv::Rect2d& r) {
  const double dx = s.b.x - s.a.x, dy = s.b.y - s.a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {s.a.x - (r.x - s.pad), r.x + r.width + s.pad - s.a.x, s.a.y - (r.y - s.pad), r.y + r.height + s.pad - s.a.y};
  double t0 = 0, t1 = 1;
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return 0;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
    if (t0 > t1) return 0;
  }
  return (t1 - t0) * std::hypot(dx, dy);
}

std::vector<cv::Point2d> Scaled(const std::vector<cv::Point2d>& points, double scale) {
  std::vector<cv::Point2d> out;
  for (const auto& p : points) out.push_back(p * scale);
  return out;
}

// Gap between two rectangles (0 when they touch or overlap).
double Distance(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double dx = std::max({0.0, b.x - (a.x + a.width), a.x - (b.x + b.width)});
  const double dy = std::max({0.0, b.y - (a.y + a.height), a.y - (b.y + b.height)});
  return std::hypot(dx, dy);
}

TextPlacement PlaceLabel(int index, const Shape& s, cv::Size size, double scale, const std::vector<Segment>& outlines,
                         const std::vector<TextPlacement>& placed) {
  const TextBox text = MeasureText(s);
  const std::vector<cv::Point2d> pts = Scaled(s.points, scale);
  double x1 = pts[0].x, y1 = pts[0].y, x2 = x1, y2 = y1;
  for (const auto& p : pts) {
    x1 = std::min(x1, p.x), y1 = std::min(y1, p.y), x2 = std::max(x2, p.x), y2 = std::max(y2, p.y);
  }
  const cv::Rect2d bounds(x1, y1, x2 - x1, y2 - y1);
  const double w = text.size.width, h = text.size.height, gap = std::ceil(s.thickness / 2) + 1;
  const int maxX = std::max(0, size.width - text.size.width), maxY = std::max(0, size.height - text.size.height);
  struct Candidate {
    cv::Point at;
    double cost;  // before the outlines it covers: preference and distance from its own outline
  };
  std::vector<Candidate> candidates;
  const auto add = [&](double x, double y, double preference) {
    const cv::Point at(std::clamp(int(std::lround(x)), 0, maxX), std::clamp(int(std::lround(y)), 0, maxY));
    const double away = std::max(0.0, Distance(cv::Rect2d(at.x, at.y, w, h), bounds) - gap - 1);
    candidates.push_back({at, preference + away});
  };
  // Beside the outline, in order of preference: above, below, right, left, just inside its top.
  const cv::Point2d beside[] = {{x1, y1 - gap - h}, {x2 - w, y1 - gap - h}, {x1, y2 + gap}, {x2 - w, y2 + gap},
                                {x2 + gap, y1}, {x1 - gap - w, y1}, {x1 + gap, y1 + gap}};
  for (int k = 0; k < 7; ++k) add(beside[k].x, beside[k].y, 0.5 * k);
  // Where those are taken: anywhere on a grid of half a label's height, the nearer the better.
  const int step = std::max(2, text.size.height / 2);
  for (int y = 0; y <= maxY; y += step)
    for (int x = 0; x <= maxX; x += step) add(x, y, 4);
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.cost < b.cost; });

  const Candidate* best = nullptr;
  double bestCost = std::numeric_limits<double>::infinity();
  // With no free spot left at all: the one that overlaps other texts least.
  const Candidate* crowded = nullptr;
  double crowdedArea = std::numeric_limits<double>::infinity();
  for (const Candidate& c : candidates) {
    if (c.cost >= bestCost) break;  // sorted: nothing later can do better
    const cv::Rect rect(c.at, text.size);
    double overlap = 0;
    for (const TextPlacement& p : placed) overlap += (rect & p.rect).area();
    if (overlap > 0) {
      if (overlap < crowdedArea) crowded = &c, crowdedArea = overlap;
      continue;
    }
    double covered = 0;
    for (const Segment& seg : outlines) covered += seg.weight * LengthInside(seg, rect);
    const double cost = c.cost + covered;
    if (cost < bestCost) best = &c, bestCost = cost;
  }
  const Candidate& chosen = best ? *best : *crowded;
  TextPlacement out{index, cv::Rect(chosen.at, text.size), chosen.at + text.origin, false, {}, {}};
  // Away from its outline, a label is joined to the outline's nearest corner.
  const cv::Rect2d r(out.rect);
  if (Distance(r, bounds) > gap + 2) {
    double nearest = std::numeric_limits<double>::infinity();
    for (const auto& p : pts) {
      const double d = Distance(r, cv::Rect2d(p.x, p.y, 0, 0));
      if (d < nearest) nearest = d, out.leaderTo = p;
    }
    out.leader = true;
    out.leaderFrom = {std::clamp(out.leaderTo.x, r.x, r.x + r.width - 1), std::clamp(out.leaderTo.y, r.y, r.y + r.height - 1)};
  }
  return out;
}

}  // namespace

double DrawScale(cv::Size size, int maxSide) {
  const int longer = std::max(size.width, size.height);
  return maxSide > 0 && longer > maxSide ? double(maxSide) / longer : 1.0;
}

std::vector<TextPlacement> LayoutTexts(cv::Size size, const std::vector<Shape>& shapes, double scale) {
  std::vector<Segment> outlines;
  for (const Shape& s : shapes) {
    if (s.kind != Shape::Kind::kPolygon || s.points.empty()) continue;
    const std::vector<cv::Point2d> pts = Scaled(s.points, scale);
    const size_t n = pts.size(), sides = s.closed ? n : n - 1;
    const double weight = s.text.empty() ? kOutlineWeight : kLabelledOutlineWeight;
    for (size_t k = 0; k < sides; ++k) outlines.push_back({pts[k], pts[(k + 1) % n], s.thickness / 2, weight});
  }
  std::vector<TextPlacement> out;
  // Texts placed by the caller stay where they were put (inside the image), moved down
  // only past an earlier one they would cover (lines of a downscaled picture, whose font
  // is not scaled, come closer than their height); labels make room for them.
  for (int i = 0; i < int(shapes.size()); ++i) {
    const Shape& s = shapes[i];
    if (s.kind != Shape::Kind::kText || s.points.empty()) continue;
    const TextBox text = MeasureText(s);
    const int maxY = std::max(0, size.height - text.size.height);
    cv::Rect rect(cv::Point(std::clamp(int(std::lround(s.points[0].x * scale)), 0, std::max(0, size.width - text.size.width)),
                            std::clamp(int(std::lround(s.points[0].y * scale)), 0, maxY)), text.size);
    for (bool moved = true; moved && rect.y < maxY;) {
      moved = false;
      for (const TextPlacement& p : out) {
        if ((rect & p.rect).area() == 0) continue;
        rect.y = std::min(maxY, p.rect.y + p.rect.height);
        moved = true;
      }
    }
    out.push_back({i, rect, rect.tl() + text.origin, false, {}, {}});
  }
  for (int i = 0; i < int(shapes.size()); ++i) {
    const Shape& s = shapes[i];
    if (s.kind == Shape::Kind::kPolygon && !s.points.empty() && !s.text.empty())
      out.push_back(PlaceLabel(i, s, size, scale, outlines, out));
  }
  return out;
}

void DrawShapes(cv::Mat& img, const std::vector<Shape>& shapes, double scale) {
  constexpr int kShift = 4;
  const auto fixed = [](const cv::Point2d& p) {
    return cv::Point(int(std::lround(p.x * (1 << kShift))), int(std::lround(p.y * (1 << kShift))));
  };
  for (const Shape& s : shapes) {
    if (s.kind != Shape::Kind::kPolygon || s.points.empty()) continue;
    std::vector<cv::Point> pts;
    for (const auto& p : s.points) pts.push_back(fixed(p * scale - cv::Point2d(0.5, 0.5)));
    cv::polylines(img, std::vector<std::vector<cv::Point>>{pts}, s.closed, s.color, std::max(1, int(std::lround(s.thickness))),
                  cv::LINE_AA, kShift);
  }
  const std::vector<TextPlacement> texts = LayoutTexts(img.size(), shapes, scale);
  for (const TextPlacement& t : texts) {
    if (t.leader) cv::line(img, fixed(t.leaderFrom), fixed(t.leaderTo), shapes[t.shape].color, 1, cv::LINE_AA, kShift);
  }
  for (const TextPlacement& t : texts) {
    const Shape& s = shapes[t.shape];
    cv::rectangle(img, t.rect, s.color, cv::FILLED);
    const double luma = 0.114 * s.color[0] + 0.587 * s.color[1] + 0.299 * s.color[2];
    cv::putText(img, s.text, t.origin, kFont, s.fontScale, luma > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255),
                TextThickness(s.fontScale), cv::LINE_AA);
  }
}

}  // namespace di
