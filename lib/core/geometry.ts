/**
 * Points, quads and homographies. Coordinates are continuous: pixel (i, j)
 * covers [i, i+1) x [j, j+1). Homographies are 9 numbers, row-major.
 */
export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];
export type Homography = number[];

export function applyHomography(h: Homography, [x, y]: Point): Point {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/** An axis-aligned box on the crop -> its outline in the image (TL, TR, BR, BL). */
export function boxToQuad(h: Homography, [x1, y1, x2, y2]: number[]): Quad {
  return [applyHomography(h, [x1, y1]), applyHomography(h, [x2, y1]), applyHomography(h, [x2, y2]), applyHomography(h, [x1, y2])];
}

/** Axis-aligned bounds [x1, y1, x2, y2] of points. */
export function bounds(points: Point[]): [number, number, number, number] {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const [x, y] of points) {
    x1 = Math.min(x1, x);
    y1 = Math.min(y1, y);
    x2 = Math.max(x2, x);
    y2 = Math.max(y2, y);
  }
  return [x1, y1, x2, y2];
}

/** Signed shoelace area (positive when clockwise on screen, y down). */
export function polygonArea(poly: Point[]): number {
  let s = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) s += poly[j][0] * poly[i][1] - poly[i][0] * poly[j][1];
  return s / 2;
}

/** Intersection over union of two convex polygons (Sutherland-Hodgman clipping). */
export function convexIoU(a: Point[], b: Point[]): number {
  const orient = (p: Point[]) => (polygonArea(p) < 0 ? [...p].reverse() : p);
  const pa = orient(a);
  let clipped = orient(b);
  for (let i = 0; i < pa.length && clipped.length; i++) {
    const [p1, p2] = [pa[i], pa[(i + 1) % pa.length]];
    const side = (q: Point) => (p2[0] - p1[0]) * (q[1] - p1[1]) - (p2[1] - p1[1]) * (q[0] - p1[0]);
    const input = clipped;
    clipped = [];
    for (let k = 0; k < input.length; k++) {
      const cur = input[k];
      const prev = input[(k + input.length - 1) % input.length];
      const sc = side(cur);
      const sp = side(prev);
      if (sc >= 0) {
        if (sp < 0) clipped.push(cross(prev, cur, sp, sc));
        clipped.push(cur);
      } else if (sp >= 0) {
        clipped.push(cross(prev, cur, sp, sc));
      }
    }
  }
  const inter = clipped.length >= 3 ? Math.abs(polygonArea(clipped)) : 0;
  const union = Math.abs(polygonArea(a)) + Math.abs(polygonArea(b)) - inter;
  return union > 0 ? inter / union : 0;
}

function cross(p: Point, q: Point, sp: number, sq: number): Point {
  const t = sp / (sp - sq);
  return [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];
}

/** Smallest absolute difference of two angles in degrees. */
export function angleDifference(a: number, b: number): number {
  const d = (((a - b) % 360) + 540) % 360 - 180;
  return Math.abs(d);
}
