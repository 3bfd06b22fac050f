#include "kiosk/core/telex.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utf8proc.h>
#include <utility>
#include <vector>

namespace kiosk::core {

namespace {

enum class Shape : std::uint8_t { none, circumflex, breve, horn };
enum class Tone : std::uint8_t { none, sac, huyen, hoi, nga, nang };

constexpr char32_t kCircumflex = 0x0302;
constexpr char32_t kBreve = 0x0306;
constexpr char32_t kHorn = 0x031B;
constexpr char32_t kDStroke = 0x0111;      // đ
constexpr char32_t kDStrokeUpper = 0x0110; // Đ

// One letter of a word: a Latin base letter with its marks.
struct Letter {
    char base = 0; // lower-case ASCII letter
    bool upper = false;
    bool stroke = false; // đ (base 'd')
    Shape shape = Shape::none;
    Tone tone = Tone::none;
};

bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_vowel(const Letter& l) {
    switch (l.base) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
    case 'y':
        return !l.stroke;
    default:
        return false;
    }
}

char32_t tone_mark(Tone t) {
    switch (t) {
    case Tone::sac:
        return 0x0301;
    case Tone::huyen:
        return 0x0300;
    case Tone::hoi:
        return 0x0309;
    case Tone::nga:
        return 0x0303;
    case Tone::nang:
        return 0x0323;
    case Tone::none:
        break;
    }
    return 0;
}

std::optional<Tone> tone_of_mark(char32_t cp) {
    for (const Tone t : {Tone::sac, Tone::huyen, Tone::hoi, Tone::nga, Tone::nang}) {
        if (tone_mark(t) == cp) return t;
    }
    return std::nullopt;
}

std::optional<Tone> tone_of_key(char k) {
    switch (k) {
    case 's':
        return Tone::sac;
    case 'f':
        return Tone::huyen;
    case 'r':
        return Tone::hoi;
    case 'x':
        return Tone::nga;
    case 'j':
        return Tone::nang;
    default:
        return std::nullopt;
    }
}

bool shape_allowed(char base, Shape s) {
    switch (s) {
    case Shape::circumflex:
        return base == 'a' || base == 'e' || base == 'o';
    case Shape::breve:
        return base == 'a';
    case Shape::horn:
        return base == 'o' || base == 'u';
    case Shape::none:
        break;
    }
    return true;
}

void append_utf8(std::string& out, char32_t cp) {
    std::array<utf8proc_uint8_t, 4> buf{};
    const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf.data());
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
}

// Byte offsets where the grapheme clusters of valid UTF-8 text start.
std::vector<std::size_t> grapheme_starts(std::string_view s) {
    std::vector<std::size_t> starts;
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    const auto size = static_cast<utf8proc_ssize_t>(s.size());
    utf8proc_ssize_t i = 0;
    utf8proc_int32_t prev = -1;
    utf8proc_int32_t state = 0;
    while (i < size) {
        utf8proc_int32_t cp = 0;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, size - i, &cp);
        if (n <= 0) { // not reached for the composer's own (valid) text; one byte, one character
            n = 1;
            cp = 0xFFFD;
        }
        if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state)) {
            starts.push_back(static_cast<std::size_t>(i));
        }
        prev = cp;
        i += n;
    }
    return starts;
}

// A grapheme as a word letter: an ASCII letter or đ with at most one shape mark and one tone mark (tones
// on vowels only); nullopt for anything else (digits, punctuation, other scripts, other marks).
std::optional<Letter> parse_letter(std::string_view grapheme) {
    std::array<utf8proc_int32_t, 8> cps{};
    const utf8proc_ssize_t n =
        utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(grapheme.data()),
                           static_cast<utf8proc_ssize_t>(grapheme.size()), cps.data(),
                           static_cast<utf8proc_ssize_t>(cps.size()), UTF8PROC_DECOMPOSE);
    if (n <= 0 || n > static_cast<utf8proc_ssize_t>(cps.size())) return std::nullopt;
    Letter l;
    const auto base = static_cast<char32_t>(cps[0]);
    if (base < 0x80 && is_ascii_letter(static_cast<char>(base))) {
        l.upper = is_ascii_upper(static_cast<char>(base));
        l.base = ascii_lower(static_cast<char>(base));
    } else if (base == kDStroke || base == kDStrokeUpper) {
        l.base = 'd';
        l.stroke = true;
        l.upper = base == kDStrokeUpper;
    } else {
        return std::nullopt;
    }
    for (utf8proc_ssize_t i = 1; i < n; ++i) {
        const auto cp = static_cast<char32_t>(cps[static_cast<std::size_t>(i)]);
        Shape s = Shape::none;
        if (cp == kCircumflex) s = Shape::circumflex;
        if (cp == kBreve) s = Shape::breve;
        if (cp == kHorn) s = Shape::horn;
        if (s != Shape::none) {
            if (l.shape != Shape::none || !shape_allowed(l.base, s) || l.stroke) return std::nullopt;
            l.shape = s;
        } else if (const auto t = tone_of_mark(cp); t && is_vowel(l) && l.tone == Tone::none) {
            l.tone = *t;
        } else {
            return std::nullopt;
        }
    }
    return l;
}

std::string render(const std::vector<Letter>& letters) {
    std::string nfd;
    for (const Letter& l : letters) {
        if (l.stroke) {
            append_utf8(nfd, l.upper ? kDStrokeUpper : kDStroke);
        } else {
            nfd.push_back(l.upper ? ascii_upper(l.base) : l.base);
        }
        if (l.shape == Shape::circumflex) append_utf8(nfd, kCircumflex);
        if (l.shape == Shape::breve) append_utf8(nfd, kBreve);
        if (l.shape == Shape::horn) append_utf8(nfd, kHorn);
        if (l.tone != Tone::none) append_utf8(nfd, tone_mark(l.tone));
    }
    return to_nfc(nfd).value_or(nfd); // always valid: built from code points
}

// The word at the end of a text: the letters after the last non-letter grapheme.
struct Word {
    std::size_t start = 0; // byte offset in the text
    std::vector<Letter> letters;
    bool too_long = false; // a run of letters far longer than any syllable: keys are typed as they are
};

// No syllable comes near this many bytes (at most 7 letters, 3 bytes each in NFC).
constexpr std::size_t kMaxWordBytes = 128;

Word trailing_word(std::string_view text) {
    // Only the bytes after the last ASCII non-letter can belong to the word: segment just those.
    std::size_t from = text.size();
    while (from > 0) {
        const auto c = static_cast<unsigned char>(text[from - 1]);
        if (c < 0x80 && !is_ascii_letter(static_cast<char>(c))) break;
        --from;
    }
    Word w;
    w.start = text.size();
    if (text.size() - from > kMaxWordBytes) {
        w.too_long = true;
        return w;
    }
    const std::string_view tail = text.substr(from);
    const std::vector<std::size_t> starts = grapheme_starts(tail);
    std::size_t end = tail.size();
    for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
        const auto letter = parse_letter(tail.substr(*it, end - *it));
        if (!letter) break;
        w.letters.push_back(*letter);
        w.start = from + *it;
        end = *it;
    }
    std::reverse(w.letters.begin(), w.letters.end());
    return w;
}

// How a word reads as a Vietnamese syllable.
struct Syllable {
    bool has_vowel = false;
    bool valid = false; // initial consonants, one vowel group of 1-3, a known final (or none)
    std::size_t nb = 0; // vowel group [nb, ne)
    std::size_t ne = 0;
    bool has_final = false;
    bool stop_final = false; // c ch k p t: only sắc and nặng
};

Syllable analyze(const std::vector<Letter>& l) {
    Syllable s;
    const std::size_t n = l.size();
    std::size_t i = 0;
    while (i < n && !is_vowel(l[i]))
        ++i;
    if (i == n) return s;
    s.has_vowel = true;
    // "qu" and "gi" before another vowel: the u / i belongs to the initial consonant.
    if (i == 1 && i + 1 < n && is_vowel(l[i + 1]) && l[i].shape == Shape::none && l[i].tone == Tone::none &&
        ((l[0].base == 'q' && l[i].base == 'u') || (l[0].base == 'g' && !l[0].stroke && l[i].base == 'i'))) {
        ++i;
    }
    std::size_t j = i;
    while (j < n && is_vowel(l[j]))
        ++j;
    s.nb = i;
    s.ne = j;
    std::string tail;
    for (std::size_t k = j; k < n; ++k) {
        if (is_vowel(l[k]) || l[k].stroke) return s; // a second vowel group, or đ at the end
        tail.push_back(l[k].base);
    }
    static constexpr std::array<std::string_view, 10> kFinals = {"",  "c",  "ch", "k", "m",
                                                                 "n", "ng", "nh", "p", "t"};
    bool final_ok = false;
    for (const std::string_view f : kFinals)
        final_ok = final_ok || tail == f;
    s.has_final = !tail.empty();
    s.stop_final = tail == "c" || tail == "ch" || tail == "k" || tail == "p" || tail == "t";
    s.valid = final_ok && j - i >= 1 && j - i <= 3;
    return s;
}

// The vowel that carries the tone (modern placement; see telex.hpp).
std::size_t tone_position(const std::vector<Letter>& l, const Syllable& s) {
    for (std::size_t k = s.ne; k-- > s.nb;) {
        if (l[k].shape != Shape::none) return k;
    }
    const std::size_t len = s.ne - s.nb;
    if (len == 1) return s.nb;
    if (len == 2) {
        if (s.has_final) return s.nb + 1;
        const char a = l[s.nb].base;
        const char b = l[s.nb + 1].base;
        if ((a == 'o' && b == 'a') || (a == 'o' && b == 'e') || (a == 'u' && b == 'y')) return s.nb + 1;
        return s.nb;
    }
    return s.has_final ? s.nb + 2 : s.nb + 1;
}

// After an edit: completes "uơ"/"ưo" followed by another letter to "ươ" and moves the tone where it
// belongs. Words that are not a syllable (or carry several tones) are left as they are.
void normalize(std::vector<Letter>& l) {
    const Syllable s = analyze(l);
    if (!s.valid) return;
    for (std::size_t k = s.nb; k + 1 < s.ne; ++k) {
        Letter& u = l[k];
        Letter& o = l[k + 1];
        if (u.base != 'u' || o.base != 'o' || k + 2 >= l.size()) continue;
        if (u.shape == Shape::horn && o.shape == Shape::none) o.shape = Shape::horn;
        if (u.shape == Shape::none && o.shape == Shape::horn) u.shape = Shape::horn;
    }
    std::size_t tones = 0;
    Tone tone = Tone::none;
    for (const Letter& x : l) {
        if (x.tone != Tone::none) {
            ++tones;
            tone = x.tone;
        }
    }
    if (tones != 1) return;
    for (Letter& x : l)
        x.tone = Tone::none;
    l[tone_position(l, s)].tone = tone;
}

Tone current_tone(const std::vector<Letter>& l, std::size_t& count) {
    count = 0;
    Tone t = Tone::none;
    for (const Letter& x : l) {
        if (x.tone != Tone::none) {
            ++count;
            t = x.tone;
        }
    }
    return t;
}

Letter plain(char key) {
    Letter l;
    l.base = ascii_lower(key);
    l.upper = is_ascii_upper(key);
    return l;
}

// What a key did to the word.
enum class Effect : std::uint8_t {
    literal, // typed as a letter
    applied, // a mark changed
    undone,  // a mark removed, the key typed as a letter: the same key again stays literal
};

Effect apply_tone(std::vector<Letter>& l, Tone t, char key) {
    const Syllable s = analyze(l);
    std::size_t count = 0;
    const Tone cur = current_tone(l, count);
    if (!s.valid || count > 1) return Effect::literal;
    if (cur == t) {
        for (Letter& x : l)
            x.tone = Tone::none;
        l.push_back(plain(key));
        return Effect::undone;
    }
    if (s.stop_final && t != Tone::sac && t != Tone::nang) return Effect::literal;
    // "ie"/"ye" before a final consonant or u is always "iê"/"yê": "tien" + s -> "tiến".
    for (std::size_t k = 0; k + 2 < l.size() && k + 1 < s.ne; ++k) {
        const Letter& next = l[k + 2];
        const bool closes = !is_vowel(next) || (next.base == 'u' && next.shape == Shape::none);
        if ((l[k].base == 'i' || l[k].base == 'y') && l[k].shape == Shape::none && l[k + 1].base == 'e' &&
            l[k + 1].shape == Shape::none && k + 1 >= s.nb && closes) {
            l[k + 1].shape = Shape::circumflex;
        }
    }
    for (Letter& x : l)
        x.tone = Tone::none;
    l[tone_position(l, s)].tone = t;
    return Effect::applied;
}

Effect apply_circumflex(std::vector<Letter>& l, char key) {
    const Syllable s = analyze(l);
    const char k = ascii_lower(key);
    if (!s.valid || l[s.ne - 1].base != k) return Effect::literal;
    Letter& target = l[s.ne - 1];
    if (target.shape == Shape::circumflex) {
        target.shape = Shape::none;
        l.push_back(plain(key));
        return Effect::undone;
    }
    target.shape = Shape::circumflex;
    if (k == 'o' && s.ne - 1 > s.nb && l[s.ne - 2].base == 'u') l[s.ne - 2].shape = Shape::none; // ươ -> uô
    return Effect::applied;
}

// Sets (or, when already set, undoes) one letter's w mark.
Effect toggle_w(std::vector<Letter>& l, std::size_t k, Shape shape, char key) {
    if (l[k].shape == shape) {
        l[k].shape = Shape::none;
        l.push_back(plain(key));
        return Effect::undone;
    }
    l[k].shape = shape;
    return Effect::applied;
}

// w: returns nullopt when w should type "ư" on its own.
std::optional<Effect> apply_w(std::vector<Letter>& l, char key) {
    const Syllable s = analyze(l);
    if (!s.has_vowel) return std::nullopt;
    if (!s.valid) return Effect::literal;
    // "uo": ươ.
    for (std::size_t k = s.nb; k + 1 < s.ne; ++k) {
        Letter& u = l[k];
        Letter& o = l[k + 1];
        if (u.base != 'u' || o.base != 'o') continue;
        if (o.shape == Shape::horn) {
            u.shape = Shape::none;
            o.shape = Shape::none;
            l.push_back(plain(key));
            return Effect::undone;
        }
        o.shape = Shape::horn;
        // "thuở", "huơ": after an initial consonant, a final "uo" gets the horn on the o only.
        const bool open_end = k + 2 == l.size() && s.nb > 0;
        if (!open_end) u.shape = Shape::horn;
        return Effect::applied;
    }
    const std::size_t len = s.ne - s.nb;
    // "ua" (not after q, whose u is a consonant there): ưa.
    if (len == 2 && l[s.nb].base == 'u' && l[s.nb + 1].base == 'a')
        return toggle_w(l, s.nb, Shape::horn, key);
    for (const char target : {'a', 'o', 'u'}) {
        for (std::size_t k = s.nb; k < s.ne; ++k) {
            if (l[k].base == target) return toggle_w(l, k, target == 'a' ? Shape::breve : Shape::horn, key);
        }
    }
    // "gi" + w: giư (giữ).
    if (len == 1 && s.nb == 1 && l.size() == 2 && l[0].base == 'g' && l[1].base == 'i' &&
        l[1].shape == Shape::none) {
        return std::nullopt;
    }
    return Effect::literal;
}

std::string sanitize_utf8(std::string_view s) {
    std::string out;
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    const auto size = static_cast<utf8proc_ssize_t>(s.size());
    utf8proc_ssize_t i = 0;
    while (i < size) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p + i, size - i, &cp);
        if (n <= 0) {
            ++i; // drop the invalid byte
            continue;
        }
        out.append(s.substr(static_cast<std::size_t>(i), static_cast<std::size_t>(n)));
        i += n;
    }
    return out;
}

} // namespace

TelexComposer::TelexComposer(std::string text) {
    auto nfc = to_nfc(text);
    text_ = nfc ? std::move(*nfc) : to_nfc(sanitize_utf8(text)).value_or(std::string());
}

void TelexComposer::type(char key) {
    if (key < 0x20 || key > 0x7E) return;
    const bool was_w_alone = std::exchange(w_alone_, false);
    if (!is_ascii_letter(key)) {
        literal_key_ = 0;
        text_.push_back(key);
        return;
    }
    const char k = ascii_lower(key);
    if (literal_key_ != 0 && k == literal_key_) {
        text_.push_back(key);
        return;
    }
    literal_key_ = 0;

    Word word = trailing_word(text_);
    if (word.too_long) {
        text_.push_back(key);
        return;
    }
    std::vector<Letter>& l = word.letters;
    Effect effect = Effect::literal;
    if (const auto tone = tone_of_key(k)) {
        effect = apply_tone(l, *tone, key);
    } else if (k == 'z') {
        std::size_t count = 0;
        if (current_tone(l, count) != Tone::none) {
            for (Letter& x : l)
                x.tone = Tone::none;
            effect = Effect::applied;
        }
    } else if (k == 'a' || k == 'e' || k == 'o') {
        effect = apply_circumflex(l, key);
    } else if (k == 'd') {
        if (l.size() == 1 && l[0].base == 'd') {
            if (l[0].stroke) {
                l[0].stroke = false;
                l.push_back(plain(key));
                effect = Effect::undone;
            } else {
                l[0].stroke = true;
                effect = Effect::applied;
            }
        }
    } else if (k == 'w') {
        if (was_w_alone && !l.empty() && l.back().base == 'u' && l.back().shape == Shape::horn &&
            l.back().tone == Tone::none) {
            l.back() = plain(l.back().upper ? 'W' : 'w'); // "ww" -> "w"
            effect = Effect::undone;
        } else if (const auto e = apply_w(l, key)) {
            effect = *e;
        } else {
            Letter u = plain(key);
            u.base = 'u';
            u.shape = Shape::horn;
            l.push_back(u);
            effect = Effect::applied;
            w_alone_ = true;
        }
    }
    if (effect == Effect::literal) l.push_back(plain(key));
    if (effect == Effect::undone) literal_key_ = k;
    normalize(l);
    text_.resize(word.start);
    text_ += render(l);
}

void TelexComposer::backspace() {
    literal_key_ = 0;
    w_alone_ = false;
    const std::vector<std::size_t> starts = grapheme_starts(text_);
    if (!starts.empty()) text_.resize(starts.back());
}

void TelexComposer::clear() {
    text_.clear();
    literal_key_ = 0;
    w_alone_ = false;
}

std::size_t TelexComposer::length() const {
    return grapheme_starts(text_).size();
}

std::string telex_compose(std::string_view keys) {
    TelexComposer c;
    for (const char key : keys)
        c.type(key);
    return c.text();
}

} // namespace kiosk::core
