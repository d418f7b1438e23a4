/*
 * float.c — x87 floating point (built without SSE: every double is an
 * x87 register or a 64-bit memory operand): a Mandelbrot set, a 5-body
 * gravity simulation with square roots, a matrix product and double to
 * integer conversions (FISTP under a changed control word).
 *
 * The round first sets the precision control to 53 bits (FLDCW, SDM Vol. 1
 * §8.1.5.2), so +, -, *, / and FSQRT round as IEEE 754 double does and the
 * checksum does not depend on where the compiler spills 80-bit values.
 */
#include "wl.h"

#define W 64
#define H 40

static uint32_t mandel(void)
{
    uint32_t total = 0, h = 0;
    for (int y = 0; y < H; y++) {
        double ci = -1.2 + 2.4 * y / H;
        for (int x = 0; x < W; x++) {
            double cr = -2.1 + 3.0 * x / W, zr = 0, zi = 0;
            int it = 0;
            for (; it < 96 && zr * zr + zi * zi < 4.0; it++) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
            }
            total += (uint32_t)it;
            h = wl_mix(h, (uint32_t)it);
        }
    }
    return wl_mix(h, total);
}

struct body {
    double x, y, z, vx, vy, vz, m;
};

static double isqrt3(double d2)
{
    double d;
    __asm__("fsqrt" : "=t"(d) : "0"(d2));
    return d * d2;
}

static uint32_t nbody(void)
{
    struct body b[5] = {
        { 0, 0, 0, 0, 0, 0, 39.47 },
        { 4.84, -1.16, -0.10, 0.60, 2.81, -0.02, 0.037 },
        { 8.34, 4.12, -0.40, -1.01, 1.82, 0.008, 0.011 },
        { 12.89, -15.11, -0.22, 1.08, 0.86, -0.01, 0.0017 },
        { 15.37, -25.91, 0.17, 0.97, 0.59, -0.03, 0.002 },
    };
    const double dt = 0.01;
    for (int step = 0; step < 300; step++) {
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double mag = dt / isqrt3(dx * dx + dy * dy + dz * dz);
                b[i].vx -= dx * b[j].m * mag, b[i].vy -= dy * b[j].m * mag;
                b[i].vz -= dz * b[j].m * mag;
                b[j].vx += dx * b[i].m * mag, b[j].vy += dy * b[i].m * mag;
                b[j].vz += dz * b[i].m * mag;
            }
        for (int i = 0; i < 5; i++)
            b[i].x += dt * b[i].vx, b[i].y += dt * b[i].vy, b[i].z += dt * b[i].vz;
    }
    double e = 0;
    for (int i = 0; i < 5; i++)
        e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    uint32_t h = 0;
    for (int i = 0; i < 5; i++)
        h = wl_mix(h, (uint32_t)(int32_t)(b[i].x * 1e6));
    return wl_mix(h, (uint32_t)(int64_t)(e * 1e9));
}

static uint32_t matmul(void)
{
    static double a[20][20], b[20][20], c[20][20];
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++) {
            a[i][j] = (i - j) / 7.0 + 0.25;
            b[i][j] = (i * j % 11) / 3.0 - 1.5;
        }
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++) {
            double s = 0;
            for (int k = 0; k < 20; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    uint32_t h = 0;
    for (int i = 0; i < 20; i++)
        h = wl_mix(h, (uint32_t)(int32_t)(c[i][i] * 1e4) ^ (uint32_t)(int32_t)(c[i][19 - i] * 1e4));
    return h;
}

static uint32_t float_round(void)
{
    uint16_t cw = 0x027F; /* all exceptions masked, 53-bit precision, round to nearest */
    __asm__ volatile("fninit\n\tfldcw %0" : : "m"(cw));
    uint32_t h = mandel();
    h = wl_mix(h, nbody());
    return wl_mix(h, matmul());
}

WORKLOAD("float", 0x270354a4, float_round);
