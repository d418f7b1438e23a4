/*
 * strings.c — byte and string work: generate a text of words, numbers and
 * punctuation (rep stosb to clear, memcpy of each word), tokenize it with
 * a character-class switch, copy every token out (rep movs), measure it
 * (strlen), look it up among the vocabulary (memcmp: repe cmpsb), count
 * the lines (memchr: repne scasb) and shift the text in place (memmove
 * backwards: std; rep movsb).
 */
#include "wl.h"

#define TEXT 12000

static const char *const vocab[] = {
    "virtual",   "machine",  "monitor",    "trap",      "emulate",    "translate",
    "shadow",    "page",     "table",      "interrupt", "descriptor", "segment",
    "privilege", "ring",     "hypervisor", "guest",     "host",       "exit",
    "entry",     "register", "cache",      "block",     "chain",      "return",
};
#define NVOCAB (int)(sizeof vocab / sizeof vocab[0])

/* Fill text[] with words, numbers and separators; returns its length. */
static size_t generate(char *text, uint32_t *seed)
{
    static const char *const sep[] = { " ", " ", " ", ", ", ". ", "\n", " (", ") ", "; " };
    size_t n = 0;
    wl_memset(text, 0, TEXT + 64);
    while (n < TEXT) {
        uint32_t r = wl_rand(seed);
        if ((r & 7) == 0) { /* a number */
            uint32_t v = r >> 8, len = 0;
            char d[12];
            do
                d[len++] = (char)('0' + v % 10);
            while ((v /= 10) != 0);
            while (len)
                text[n++] = d[--len];
        } else {
            const char *w = vocab[(r >> 3) % NVOCAB];
            size_t len = wl_strlen(w);
            wl_memcpy(text + n, w, len);
            n += len;
        }
        const char *s = sep[(r >> 16) % 9];
        size_t len = wl_strlen(s);
        wl_memcpy(text + n, s, len);
        n += len;
    }
    return n;
}

enum cls { C_SPACE, C_ALPHA, C_DIGIT, C_PUNCT };

static enum cls classify(char c)
{
    switch (c) {
    case ' ':
    case '\n':
    case '\t': return C_SPACE;
    case '0' ... '9': return C_DIGIT;
    case 'a' ... 'z':
    case 'A' ... 'Z':
    case '_': return C_ALPHA;
    default: return C_PUNCT;
    }
}

static uint32_t tokenize(const char *text, size_t n)
{
    char tok[64];
    uint32_t h = 0, words = 0, numbers = 0, punct = 0, known = 0;
    size_t i = 0;
    while (i < n) {
        enum cls c = classify(text[i]);
        if (c == C_SPACE) {
            i++;
            continue;
        }
        size_t start = i++;
        if (c != C_PUNCT)
            while (i < n && classify(text[i]) == c)
                i++;
        size_t len = i - start < sizeof tok - 1 ? i - start : sizeof tok - 1;
        wl_memcpy(tok, text + start, len);
        tok[len] = '\0';
        h = wl_mix(h, (uint32_t)wl_strlen(tok) * 131 + (uint8_t)tok[0]);
        if (c == C_DIGIT) {
            uint32_t v = 0;
            for (const char *p = tok; *p; p++)
                v = v * 10 + (uint32_t)(*p - '0');
            h = wl_mix(h, v);
            numbers++;
        } else if (c == C_ALPHA) {
            words++;
            for (int k = 0; k < NVOCAB; k++)
                if (wl_memcmp(tok, vocab[k], len + 1) == 0) {
                    known += (uint32_t)k;
                    break;
                }
        } else {
            punct++;
        }
    }
    return wl_mix(wl_mix(wl_mix(h, words), numbers), punct * 7 + known);
}

static uint32_t lines(const char *text, size_t n)
{
    uint32_t count = 0;
    const char *p = text, *end = text + n;
    while ((p = wl_memchr(p, '\n', (size_t)(end - p))) != 0) {
        count++;
        p++;
    }
    return count;
}

static uint32_t strings_round(void)
{
    static char text[TEXT + 64], copy[TEXT + 64];
    uint32_t seed = 88172645u;
    size_t n = generate(text, &seed);
    uint32_t h = tokenize(text, n);
    h = wl_mix(h, lines(text, n));
    wl_memcpy(copy, text, n);
    wl_memmove(copy + 7, copy, n - 7); /* overlapping: runs backwards */
    h = wl_mix(h, (uint32_t)wl_memcmp(copy + 7, text, n - 7));
    h = wl_mix(h, (uint32_t)wl_strcmp(copy, text) + (uint32_t)n);
    return wl_mix(h, tokenize(copy, n));
}

WORKLOAD("strings", 0x17c35d50, strings_round);
