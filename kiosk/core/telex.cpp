#include "kiosk/core/telex.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring> // explicit_bzero
#include <memory>
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

// Memory for the composer's working copies of the text (the letters of a word, code points): overwritten
// before it goes back to the heap, also when a vector grows into a larger block.
template <class T> struct WipingAllocator {
    using value_type = T;
    WipingAllocator() = default;
    template <class U> WipingAllocator(const WipingAllocator<U>&) noexcept {} // NOLINT: rebinding
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        explicit_bzero(p, n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    friend bool operator==(const WipingAllocator&, const WipingAllocator&) = default;
};

using Letters = std::vector<Letter, WipingAllocator<Letter>>;
using CodePoints = std::vector<utf8proc_int32_t, WipingAllocator<utf8proc_int32_t>>;

// ---- the composed text: every byte it gave up is overwritten --------------------------------------------

constexpr std::size_t kFirstCapacity = 64; // most fields never need more: the text stays in one buffer

// Makes room for `extra` more bytes. A larger buffer gets a copy, and the old one (or the string's inline
// buffer, which keeps the bytes of a short text when the text moves to the heap) is overwritten first.
void reserve_for(std::string& text, std::size_t extra) {
    if (text.size() + extra <= text.capacity()) return;
    std::string larger;
    larger.reserve(std::max({text.capacity() * 2, text.size() + extra, kFirstCapacity}));
    larger.assign(text);
    wipe(text);
    text = std::move(larger);
}

void append(std::string& text, std::string_view bytes) {
    reserve_for(text, bytes.size());
    text.append(bytes);
}

// Shortens the text to `size` bytes, overwriting the bytes it drops.
void truncate(std::string& text, std::size_t size) {
    if (size >= text.size()) return;
    explicit_bzero(text.data() + size, text.size() - size);
    text.resize(size);
}

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
    append(out, std::string_view(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n)));
    explicit_bzero(buf.data(), buf.size());
}

// Appends the NFC form of `cps` (code points, any order of marks) to out: canonical order, then
// composition, in place; the same steps as utf8proc_map, without its heap copies of the text.
void append_nfc(std::string& out, utf8proc_int32_t* cps, utf8proc_ssize_t n) {
    const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    // Canonical order: a stable sort of each run of marks by combining class (what decomposition does).
    for (utf8proc_ssize_t i = 1; i < n; ++i) {
        const auto cls = [](utf8proc_int32_t cp) { return utf8proc_get_property(cp)->combining_class; };
        for (utf8proc_ssize_t j = i; j > 0 && cls(cps[j]) != 0 && cls(cps[j - 1]) > cls(cps[j]); --j)
            std::swap(cps[j], cps[j - 1]);
    }
    const utf8proc_ssize_t len = utf8proc_normalize_utf32(cps, n, options);
    for (utf8proc_ssize_t i = 0; i < len; ++i)
        append_utf8(out, static_cast<char32_t>(cps[i]));
}

// Appends the NFC form of UTF-8 text to out, invalid bytes dropped, through working buffers that are
// overwritten before they are released.
void append_nfc(std::string& out, std::string_view utf8) {
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
    const auto size = static_cast<utf8proc_ssize_t>(utf8.size());
    CodePoints cps;
    cps.reserve(utf8.size() + 4);
    utf8proc_ssize_t i = 0;
    std::array<utf8proc_int32_t, 32> one{}; // one code point decomposes into at most 18 (Unicode 15)
    while (i < size) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p + i, size - i, &cp);
        if (n <= 0) {
            ++i; // drop the invalid byte
            continue;
        }
        i += n;
        int last_boundclass = 0;
        const utf8proc_ssize_t parts = utf8proc_decompose_char(
            cp, one.data(), static_cast<utf8proc_ssize_t>(one.size()),
            static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE), &last_boundclass);
        if (parts <= 0 || parts > static_cast<utf8proc_ssize_t>(one.size())) continue;
        cps.insert(cps.end(), one.begin(), one.begin() + parts);
    }
    explicit_bzero(one.data(), sizeof one);
    append_nfc(out, cps.data(), static_cast<utf8proc_ssize_t>(cps.size()));
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

// Appends the letters to out in NFC, one letter at a time (a letter starts with a base letter, so letters
// compose on their own).
void render(const Letters& letters, std::string& out) {
    for (const Letter& l : letters) {
        std::array<utf8proc_int32_t, 3> cps{};
        utf8proc_ssize_t n = 0;
        cps[n++] = l.stroke ? static_cast<utf8proc_int32_t>(l.upper ? kDStrokeUpper : kDStroke)
                            : (l.upper ? ascii_upper(l.base) : l.base);
        if (l.shape == Shape::circumflex) cps[n++] = kCircumflex;
        if (l.shape == Shape::breve) cps[n++] = kBreve;
        if (l.shape == Shape::horn) cps[n++] = kHorn;
        if (l.tone != Tone::none) cps[n++] = static_cast<utf8proc_int32_t>(tone_mark(l.tone));
        append_nfc(out, cps.data(), n);
        explicit_bzero(cps.data(), sizeof cps);
    }
}

// The word at the end of a text: the letters after the last non-letter grapheme.
struct Word {
    std::size_t start = 0; // byte offset in the text
    Letters letters;
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

Syllable analyze(const Letters& l) {
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
    for (std::size_t k = j; k < n; ++k) {
        if (is_vowel(l[k]) || l[k].stroke) return s; // a second vowel group, or đ at the end
    }
    // The letters after the vowels, compared in place (no copy of the patient's text).
    const auto tail_is = [&](std::string_view f) {
        if (n - j != f.size()) return false;
        for (std::size_t k = 0; k < f.size(); ++k)
            if (l[j + k].base != f[k]) return false;
        return true;
    };
    static constexpr std::array<std::string_view, 10> kFinals = {"",  "c",  "ch", "k", "m",
                                                                 "n", "ng", "nh", "p", "t"};
    bool final_ok = false;
    for (const std::string_view f : kFinals)
        final_ok = final_ok || tail_is(f);
    s.has_final = n > j;
    s.stop_final = tail_is("c") || tail_is("ch") || tail_is("k") || tail_is("p") || tail_is("t");
    s.valid = final_ok && j - i >= 1 && j - i <= 3;
    return s;
}

// The vowel that carries the tone (modern placement; see telex.hpp).
std::size_t tone_position(const Letters& l, const Syllable& s) {
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
void normalize(Letters& l) {
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

Tone current_tone(const Letters& l, std::size_t& count) {
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

Effect apply_tone(Letters& l, Tone t, char key) {
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

Effect apply_circumflex(Letters& l, char key) {
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
Effect toggle_w(Letters& l, std::size_t k, Shape shape, char key) {
    if (l[k].shape == shape) {
        l[k].shape = Shape::none;
        l.push_back(plain(key));
        return Effect::undone;
    }
    l[k].shape = shape;
    return Effect::applied;
}

// w: returns nullopt when w should type "ư" on its own.
std::optional<Effect> apply_w(Letters& l, char key) {
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

} // namespace

TelexComposer::TelexComposer(std::string text) {
    append_nfc(text_, text);
    wipe(text); // this copy is the composer's too
}

TelexComposer::TelexComposer(const TelexComposer& other)
    : literal_key_(other.literal_key_), w_alone_(other.w_alone_) {
    append(text_, other.text_);
}

TelexComposer::TelexComposer(TelexComposer&& other) noexcept
    : text_(std::move(other.text_)), literal_key_(other.literal_key_), w_alone_(other.w_alone_) {
    wipe(other.text_); // a short text was copied out of the other's inline buffer, not moved
    other.clear();
}

TelexComposer& TelexComposer::operator=(const TelexComposer& other) {
    if (this == &other) return *this;
    wipe(text_);
    append(text_, other.text_);
    literal_key_ = other.literal_key_;
    w_alone_ = other.w_alone_;
    return *this;
}

TelexComposer& TelexComposer::operator=(TelexComposer&& other) noexcept {
    if (this == &other) return *this;
    wipe(text_); // its buffer is released by the move below
    text_ = std::move(other.text_);
    literal_key_ = other.literal_key_;
    w_alone_ = other.w_alone_;
    wipe(other.text_);
    other.clear();
    return *this;
}

TelexComposer::~TelexComposer() {
    wipe(text_);
}

void TelexComposer::type(char key) {
    if (key < 0x20 || key > 0x7E) return;
    const bool was_w_alone = std::exchange(w_alone_, false);
    if (!is_ascii_letter(key)) {
        literal_key_ = 0;
        append(text_, std::string_view(&key, 1));
        return;
    }
    const char k = ascii_lower(key);
    if (literal_key_ != 0 && k == literal_key_) {
        append(text_, std::string_view(&key, 1));
        return;
    }
    literal_key_ = 0;

    Word word = trailing_word(text_);
    if (word.too_long) {
        append(text_, std::string_view(&key, 1));
        return;
    }
    Letters& l = word.letters;
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
    truncate(text_, word.start);
    render(l, text_);
}

void TelexComposer::backspace() {
    literal_key_ = 0;
    w_alone_ = false;
    const std::vector<std::size_t> starts = grapheme_starts(text_);
    if (!starts.empty()) truncate(text_, starts.back());
}

void TelexComposer::clear() {
    wipe(text_);
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
