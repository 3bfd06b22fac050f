#pragma once
// Telex, the Vietnamese typing convention, for the kiosk's on-screen keyboard: plain Latin keys compose
// the marked letters. Vowel and consonant marks: aa -> â, aw -> ă, ee -> ê, oo -> ô, ow -> ơ, uw -> ư,
// w alone -> ư, dd -> đ (and "uow" -> "ươ"). Tones, typed anywhere after the vowels of a word: s sắc (á),
// f huyền (à), r hỏi (ả), x ngã (ã), j nặng (ạ), z removes the tone. The tone lands on the vowel the
// modern orthography puts it on ("hoà"/"hòa" style: this composer uses the modern style, e.g. "hoaf" ->
// "hoà", "thuyr" -> "thuỷ", "quas" -> "quá", "giaf" -> "già", "muoons" -> "muốn", "nguowif" -> "người").
// Typing the same mark key twice undoes it and types the key itself ("aaa" -> "aa", "ass" -> "as",
// "ww" -> "w"). A key that cannot apply to the current word is typed as itself ("s" after "b" -> "bs").
// Upper case is kept ("AA" -> "Â", "Aa" -> "Â", "DD" -> "Đ"). Output is NFC UTF-8.
//
// The composer edits the text it holds, so editing continues naturally after a backspace or on prefilled
// text: typing "s" after "tien" gives "tiến".
//
// Precise rules (the "word" is the run of Latin letters, with or without Vietnamese marks, at the end of
// the text; space, punctuation and digits end a word, so each word composes on its own):
// - A mark key acts on the word only when it reads as one syllable: initial consonants, one group of one
//   to three vowels (the u of "qu" and the i of "gi" before another vowel count as consonants), then an
//   optional final c, ch, k (Đắk Lắk), m, n, ng, nh, p or t. Otherwise the key is typed as a letter.
// - aa/ee/oo: the key puts a circumflex on the LAST vowel of the word if it is that letter, even across a
//   final consonant ("tana" -> "tân"); ă/ơ become â/ô. Else the key is an ordinary vowel ("ngoeo").
// - w: "uo" -> "ươ" ("uơ" when it ends a word after a consonant: "thuowr" -> "thuở"; a letter typed
//   after "uơ"/"ưo" completes it to "ươ": "nguowif" -> "người"); "ua" -> "ưa" (but "qua" -> "quă"); else the
//   a, then o, then u of the vowel group gets its breve/horn ("oaw" -> "oă", "oiw" -> "ơi", "uuw" -> "ưu").
//   With no vowel to change (or after "gi"), w types "ư" ("nhw" -> "như", "giwx" -> "giữ"); otherwise "w".
// - dd -> đ only when the two d start the word (the d of "add" is not an initial).
// - Tones: after a stop final (c ch k p t) only s and j apply. A tone key also spells "ie"/"ye" before a
//   final consonant or u as "iê"/"yê", the only Vietnamese spelling ("tien" + s -> "tiến", "Nguyenx"). The
//   tone sits on the last vowel carrying a shape mark (â ă ê ô ơ ư) if any; else on the only vowel; else on
//   the second of two vowels before a final consonant or in oa/oe/uy, on the first of any other two ("múa",
//   "tài"); of three vowels on the middle one ("khoái", "khuỷu"), or the last before a final consonant. The
//   tone moves when a later key changes the vowels ("hosa" -> "hoá", "tiesen" -> "tiến").
// - Undo: a mark key that would apply a mark the letter already has removes it and is typed as a letter;
//   until another key is pressed, the same key keeps typing itself ("aaaa" -> "aaa"). "ww" -> "w" when
//   the first w typed "ư" alone.
// - Backspace removes the whole last grapheme (letter, marks and all).
//
// Privacy: the text is a patient's name, number or address as typed. Every byte of it the composer gives
// up is overwritten (explicit_bzero) before the memory is reused or freed: clear() and the destructor
// overwrite the whole buffer (clear() keeps it for the next patient); backspace and the rewriting of a word
// by a mark key overwrite the bytes they drop; when the text outgrows its buffer, the old buffer (or the
// string's inline buffer) is overwritten after the copy; a move wipes the source; and the working copies
// of a keystroke (the word's letters, its code points) live in memory overwritten before it is freed.
// Copies the caller makes of text() are the caller's to wipe.
#include <cstddef>
#include <string>
#include <string_view>

namespace kiosk::core {

class TelexComposer {
public:
    TelexComposer() = default;
    // Prefilled (normalised to NFC; invalid UTF-8 bytes dropped); `text` is wiped once it is taken in.
    explicit TelexComposer(std::string text);
    TelexComposer(const TelexComposer& other);
    TelexComposer(TelexComposer&& other) noexcept; // leaves `other` empty and wiped
    TelexComposer& operator=(const TelexComposer& other);
    TelexComposer& operator=(TelexComposer&& other) noexcept;
    ~TelexComposer(); // overwrites the text

    // One key: a printable ASCII character (letters, digits, space, punctuation). Other values are ignored.
    void type(char key);
    // Removes the last character as the patient sees it (a letter with all its marks is one character).
    void backspace();
    // Overwrites every byte of the buffer (also those a longer text left behind) and empties the text; the
    // buffer is kept.
    void clear();

    [[nodiscard]] const std::string& text() const { return text_; }
    // Number of characters as the patient sees them (for field length limits).
    [[nodiscard]] std::size_t length() const;

private:
    std::string text_;
    char literal_key_ = 0; // a mark key just undone: pressing it again types it as a letter
    bool w_alone_ = false; // the last key was a w that typed "ư" on its own
};

// The text a sequence of keys composes from empty: telex_compose("Vieetj Nam") == "Việt Nam".
[[nodiscard]] std::string telex_compose(std::string_view keys);

} // namespace kiosk::core
