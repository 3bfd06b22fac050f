#include "kiosk/core/telex.hpp"
#include "kiosk/core/text.hpp"

#include <array>
#include <new>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

using namespace kiosk::core;

namespace {

// The 12 Vietnamese vowels: the keys that type them and the letter with each tone (none, sắc, huyền, hỏi,
// ngã, nặng), lower and upper case, written precomposed.
struct VowelRow {
    const char* keys;
    std::array<const char*, 6> lower;
    std::array<const char*, 6> upper;
};

const std::array<VowelRow, 12> kVowels = {{
    {"a", {"a", "á", "à", "ả", "ã", "ạ"}, {"A", "Á", "À", "Ả", "Ã", "Ạ"}},
    {"aw", {"ă", "ắ", "ằ", "ẳ", "ẵ", "ặ"}, {"Ă", "Ắ", "Ằ", "Ẳ", "Ẵ", "Ặ"}},
    {"aa", {"â", "ấ", "ầ", "ẩ", "ẫ", "ậ"}, {"Â", "Ấ", "Ầ", "Ẩ", "Ẫ", "Ậ"}},
    {"e", {"e", "é", "è", "ẻ", "ẽ", "ẹ"}, {"E", "É", "È", "Ẻ", "Ẽ", "Ẹ"}},
    {"ee", {"ê", "ế", "ề", "ể", "ễ", "ệ"}, {"Ê", "Ế", "Ề", "Ể", "Ễ", "Ệ"}},
    {"i", {"i", "í", "ì", "ỉ", "ĩ", "ị"}, {"I", "Í", "Ì", "Ỉ", "Ĩ", "Ị"}},
    {"o", {"o", "ó", "ò", "ỏ", "õ", "ọ"}, {"O", "Ó", "Ò", "Ỏ", "Õ", "Ọ"}},
    {"oo", {"ô", "ố", "ồ", "ổ", "ỗ", "ộ"}, {"Ô", "Ố", "Ồ", "Ổ", "Ỗ", "Ộ"}},
    {"ow", {"ơ", "ớ", "ờ", "ở", "ỡ", "ợ"}, {"Ơ", "Ớ", "Ờ", "Ở", "Ỡ", "Ợ"}},
    {"u", {"u", "ú", "ù", "ủ", "ũ", "ụ"}, {"U", "Ú", "Ù", "Ủ", "Ũ", "Ụ"}},
    {"uw", {"ư", "ứ", "ừ", "ử", "ữ", "ự"}, {"Ư", "Ứ", "Ừ", "Ử", "Ữ", "Ự"}},
    {"y", {"y", "ý", "ỳ", "ỷ", "ỹ", "ỵ"}, {"Y", "Ý", "Ỳ", "Ỷ", "Ỹ", "Ỵ"}},
}};
constexpr std::array<const char*, 6> kToneKeys = {"", "s", "f", "r", "x", "j"};

std::string upper(std::string s) {
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
}

} // namespace

TEST(TelexTable, ExpectedLettersAreSinglePrecomposedCharacters) {
    for (const VowelRow& row : kVowels) {
        for (std::size_t t = 0; t < 6; ++t) {
            for (const char* letter : {row.lower[t], row.upper[t]}) {
                EXPECT_EQ(to_nfc(letter), std::string(letter)) << letter;
                EXPECT_EQ(TelexComposer(letter).length(), 1U) << letter;
            }
        }
    }
}

TEST(TelexTones, EveryToneOnEveryVowelLowerCase) {
    for (const VowelRow& row : kVowels) {
        for (std::size_t t = 0; t < 6; ++t) {
            const std::string keys = std::string(row.keys) + kToneKeys[t];
            EXPECT_EQ(telex_compose(keys), row.lower[t]) << keys;
            // After an initial consonant, and with the tone key typed in upper case.
            EXPECT_EQ(telex_compose("b" + std::string(row.keys) + upper(kToneKeys[t])),
                      std::string("b") + row.lower[t])
                << keys;
        }
    }
}

TEST(TelexTones, EveryToneOnEveryVowelUpperCase) {
    for (const VowelRow& row : kVowels) {
        for (std::size_t t = 0; t < 6; ++t) {
            const std::string all_upper = upper(std::string(row.keys) + kToneKeys[t]);
            EXPECT_EQ(telex_compose(all_upper), row.upper[t]) << all_upper;
            // Only the first key in upper case ("Aa" -> "Â"): the letter's case is kept.
            const std::string first_upper =
                upper(std::string(1, row.keys[0])) + (row.keys + 1) + kToneKeys[t];
            EXPECT_EQ(telex_compose(first_upper), row.upper[t]) << first_upper;
        }
    }
}

TEST(TelexTones, ToneTypedBeforeTheShapeMarkMovesOntoIt) {
    for (const VowelRow& row : kVowels) {
        if (row.keys[1] == '\0') continue;
        for (std::size_t t = 1; t < 6; ++t) {
            // "asa" -> "ấ", "osw" -> "ớ", "ujw" -> "ự"
            const std::string keys = std::string(1, row.keys[0]) + kToneKeys[t] + (row.keys + 1);
            EXPECT_EQ(telex_compose(keys), row.lower[t]) << keys;
        }
    }
}

TEST(TelexShapes, EveryShapeMark) {
    EXPECT_EQ(telex_compose("aa"), "â");
    EXPECT_EQ(telex_compose("aw"), "ă");
    EXPECT_EQ(telex_compose("ee"), "ê");
    EXPECT_EQ(telex_compose("oo"), "ô");
    EXPECT_EQ(telex_compose("ow"), "ơ");
    EXPECT_EQ(telex_compose("uw"), "ư");
    EXPECT_EQ(telex_compose("dd"), "đ");
    EXPECT_EQ(telex_compose("AA"), "Â");
    EXPECT_EQ(telex_compose("AW"), "Ă");
    EXPECT_EQ(telex_compose("EE"), "Ê");
    EXPECT_EQ(telex_compose("OO"), "Ô");
    EXPECT_EQ(telex_compose("OW"), "Ơ");
    EXPECT_EQ(telex_compose("UW"), "Ư");
    EXPECT_EQ(telex_compose("DD"), "Đ");
    EXPECT_EQ(telex_compose("Dd"), "Đ");
    EXPECT_EQ(telex_compose("dD"), "đ");
    EXPECT_EQ(telex_compose("Aw"), "Ă");
    EXPECT_EQ(telex_compose("aW"), "ă");
}

TEST(TelexShapes, ShapeKeyAcrossTheFinalConsonantAndSwitchingMarks) {
    EXPECT_EQ(telex_compose("tana"), "tân");
    EXPECT_EQ(telex_compose("tanw"), "tăn");
    EXPECT_EQ(telex_compose("Nguyenex"), "Nguyễn");
    EXPECT_EQ(telex_compose("vietej"), "việt");
    EXPECT_EQ(telex_compose("awa"), "â");      // ă -> â
    EXPECT_EQ(telex_compose("aaw"), "ă");      // â -> ă
    EXPECT_EQ(telex_compose("oow"), "ơ");      // ô -> ơ
    EXPECT_EQ(telex_compose("owo"), "ô");      // ơ -> ô
    EXPECT_EQ(telex_compose("huwowo"), "huô"); // ươ -> uô
    // Only the last vowel of the word takes a circumflex: "ngoẹo" keeps its o.
    EXPECT_EQ(telex_compose("ngoeoj"), "ngoẹo");
    // Letters that do not form one syllable are not touched.
    EXPECT_EQ(telex_compose("anna"), "anna");
    EXPECT_EQ(telex_compose("dota"), "dota");
}

TEST(TelexShapes, WAloneTypesU) {
    EXPECT_EQ(telex_compose("w"), "ư");
    EXPECT_EQ(telex_compose("W"), "Ư");
    EXPECT_EQ(telex_compose("nhw"), "như");
    EXPECT_EQ(telex_compose("tw"), "tư");
    EXPECT_EQ(telex_compose("Hwng Yeen"), "Hưng Yên");
    EXPECT_EQ(telex_compose("wa"), "ưa");
    EXPECT_EQ(telex_compose("giwx"), "giữ");
    EXPECT_EQ(telex_compose("a w"), "a ư");
    // A vowel group w cannot change: w is a letter.
    EXPECT_EQ(telex_compose("tiw"), "tiw");
}

TEST(TelexShapes, WOnVowelGroups) {
    EXPECT_EQ(telex_compose("uow"), "ươ");
    EXPECT_EQ(telex_compose("uwow"), "ươ");
    EXPECT_EQ(telex_compose("nguoiwf"), "người");
    EXPECT_EQ(telex_compose("nguowif"), "người");
    EXPECT_EQ(telex_compose("nguwowif"), "người");
    EXPECT_EQ(telex_compose("huongw"), "hương");
    EXPECT_EQ(telex_compose("huowng"), "hương");
    EXPECT_EQ(telex_compose("huwong"), "hương");
    EXPECT_EQ(telex_compose("dduwowngf"), "đường");
    EXPECT_EQ(telex_compose("ruouwj"), "rượu");
    EXPECT_EQ(telex_compose("thuowr"), "thuở");
    EXPECT_EQ(telex_compose("huow"), "huơ");
    EXPECT_EQ(telex_compose("muaw"), "mưa");
    EXPECT_EQ(telex_compose("Thuwaf"), "Thừa");
    EXPECT_EQ(telex_compose("Thuawf"), "Thừa");
    EXPECT_EQ(telex_compose("quawng"), "quăng");
    EXPECT_EQ(telex_compose("hoawcj"), "hoặc");
    EXPECT_EQ(telex_compose("oiw"), "ơi");
    EXPECT_EQ(telex_compose("cuwuf"), "cừu");
    EXPECT_EQ(telex_compose("guiwr"), "gửi");
    EXPECT_EQ(telex_compose("giuwax"), "giữa");
}

TEST(TelexShapes, DdOnlyAtTheStartOfAWord) {
    EXPECT_EQ(telex_compose("ddi"), "đi");
    EXPECT_EQ(telex_compose("DDaau"), "Đâu");
    EXPECT_EQ(telex_compose("Ddawks Lawks"), "Đắk Lắk");
    EXPECT_EQ(telex_compose("add"), "add");
    EXPECT_EQ(telex_compose("did"), "did");
}

TEST(TelexTones, ModernPlacement) {
    EXPECT_EQ(telex_compose("hoas"), "hoá");
    EXPECT_EQ(telex_compose("hoaf"), "hoà");
    EXPECT_EQ(telex_compose("hoafng"), "hoàng");
    EXPECT_EQ(telex_compose("quas"), "quá");
    EXPECT_EQ(telex_compose("quys"), "quý");
    EXPECT_EQ(telex_compose("giaf"), "già");
    EXPECT_EQ(telex_compose("gif"), "gì");
    EXPECT_EQ(telex_compose("gifn"), "gìn");
    EXPECT_EQ(telex_compose("thuyr"), "thuỷ");
    EXPECT_EQ(telex_compose("huyfnh"), "huỳnh");
    EXPECT_EQ(telex_compose("muoons"), "muốn");
    EXPECT_EQ(telex_compose("tieengs"), "tiếng");
    EXPECT_EQ(telex_compose("nghieengx"), "nghiễng");
    EXPECT_EQ(telex_compose("khoer"), "khoẻ");
    EXPECT_EQ(telex_compose("uyeenf"), "uyền");
    EXPECT_EQ(telex_compose("quyeets"), "quyết");
    EXPECT_EQ(telex_compose("muaf"), "mùa");
    EXPECT_EQ(telex_compose("tais"), "tái");
    EXPECT_EQ(telex_compose("khoais"), "khoái");
    EXPECT_EQ(telex_compose("khuyru"), "khuỷu");
    EXPECT_EQ(telex_compose("maays"), "mấy");
    EXPECT_EQ(telex_compose("Hues"), "Húe");
    EXPECT_EQ(telex_compose("Huees"), "Huế");
}

TEST(TelexTones, ToneKeySpellsIeAndYeBeforeAFinalAsIeCircumflex) {
    EXPECT_EQ(telex_compose("tiens"), "tiến");
    EXPECT_EQ(telex_compose("Nguyenx"), "Nguyễn");
    EXPECT_EQ(telex_compose("vietj"), "việt");
    EXPECT_EQ(telex_compose("yeus"), "yếu");
    EXPECT_EQ(telex_compose("kieur"), "kiểu");
    EXPECT_EQ(telex_compose("giengs"), "giếng");
    EXPECT_EQ(telex_compose("gieo"), "gieo");  // no tone key: nothing changes
    EXPECT_EQ(telex_compose("gieos"), "giéo"); // "eo" stays
    EXPECT_EQ(telex_compose("ties"), "tíe");   // nothing after the e yet
    EXPECT_EQ(telex_compose("tien"), "tien");  // no tone key: nothing changes
}

TEST(TelexTones, AnywhereAfterTheVowelsAndMovingWithThem) {
    EXPECT_EQ(telex_compose("Vieetj"), "Việt");
    EXPECT_EQ(telex_compose("Viejet"), "Việt");
    EXPECT_EQ(telex_compose("ties"), "tíe");
    EXPECT_EQ(telex_compose("tiesen"), "tiến");
    EXPECT_EQ(telex_compose("hosa"), "hoá"); // ó then a: the tone moves to the a
    EXPECT_EQ(telex_compose("hofan"), "hoàn");
    EXPECT_EQ(telex_compose("Ngaxi"), "Ngãi");
    EXPECT_EQ(telex_compose("asf"), "à"); // a new tone replaces the old
    EXPECT_EQ(telex_compose("Vieetjs"), "Viết");
}

TEST(TelexTones, ZRemovesTheTone) {
    EXPECT_EQ(telex_compose("asz"), "a");
    EXPECT_EQ(telex_compose("Vieetjz"), "Viêt");
    EXPECT_EQ(telex_compose("z"), "z");
    EXPECT_EQ(telex_compose("az"), "az");
    EXPECT_EQ(telex_compose("ASZ"), "A");
}

TEST(TelexTones, StopFinalsTakeOnlySacAndNang) {
    EXPECT_EQ(telex_compose("mats"), "mát");
    EXPECT_EQ(telex_compose("matj"), "mạt");
    EXPECT_EQ(telex_compose("matf"), "matf");
    EXPECT_EQ(telex_compose("bichr"), "bichr");
}

TEST(TelexUndo, RepeatedKeyUndoesAndTypesItself) {
    EXPECT_EQ(telex_compose("aaa"), "aa");
    EXPECT_EQ(telex_compose("aaaa"), "aaa");
    EXPECT_EQ(telex_compose("eee"), "ee");
    EXPECT_EQ(telex_compose("ooo"), "oo");
    EXPECT_EQ(telex_compose("booong"), "boong");
    EXPECT_EQ(telex_compose("aww"), "aw");
    EXPECT_EQ(telex_compose("oww"), "ow");
    EXPECT_EQ(telex_compose("uww"), "uw");
    EXPECT_EQ(telex_compose("ww"), "w");
    EXPECT_EQ(telex_compose("www"), "ww");
    EXPECT_EQ(telex_compose("WW"), "W");
    EXPECT_EQ(telex_compose("huongww"), "huongw");
    EXPECT_EQ(telex_compose("ddd"), "dd");
    EXPECT_EQ(telex_compose("dddd"), "ddd");
    EXPECT_EQ(telex_compose("ass"), "as");
    EXPECT_EQ(telex_compose("asss"), "ass");
    EXPECT_EQ(telex_compose("aff"), "af");
    EXPECT_EQ(telex_compose("arr"), "ar");
    EXPECT_EQ(telex_compose("axx"), "ax");
    EXPECT_EQ(telex_compose("ajj"), "aj");
    EXPECT_EQ(telex_compose("Vieetjj"), "Viêtj");
    // Another key in between: the mark key works again.
    EXPECT_EQ(telex_compose("aaab"), "aab");
    EXPECT_EQ(telex_compose("ass as"), "as á");
}

TEST(TelexLiteral, KeysThatCannotApplyAreTypedAsThemselves) {
    EXPECT_EQ(telex_compose("s"), "s");
    EXPECT_EQ(telex_compose("bs"), "bs");
    EXPECT_EQ(telex_compose("xin"), "xin");
    EXPECT_EQ(telex_compose("rooif"), "rồi");
    EXPECT_EQ(telex_compose("fjzrx"), "fjzrx");
    EXPECT_EQ(telex_compose("123 s"), "123 s");
    EXPECT_EQ(telex_compose("hello"), "hello");
}

TEST(TelexWords, EachWordComposesOnItsOwn) {
    EXPECT_EQ(telex_compose("Vieetj Nam"), "Việt Nam");
    EXPECT_EQ(telex_compose("Nguyeenx Vawn An"), "Nguyễn Văn An");
    EXPECT_EQ(telex_compose("Traafn Thij Bichs Ngocj"), "Trần Thị Bích Ngọc");
    EXPECT_EQ(telex_compose("Lee Hoafng Phucs"), "Lê Hoàng Phúc");
    EXPECT_EQ(telex_compose("Hoof Chis Minh"), "Hồ Chí Minh");
    EXPECT_EQ(telex_compose("DDawks Lawks"), "Đắk Lắk");
    EXPECT_EQ(telex_compose("Thuwaf Thieen Huees"), "Thừa Thiên Huế");
    EXPECT_EQ(telex_compose("Quangr Ngaix"), "Quảng Ngãi");
    EXPECT_EQ(telex_compose("Hwng Yeen"), "Hưng Yên");
    EXPECT_EQ(telex_compose("VIEETJ NAM"), "VIỆT NAM");
    EXPECT_EQ(telex_compose("Nguyeenx"), "Nguyễn");
    // Punctuation and digits end a word: the mark key after them starts a new one.
    EXPECT_EQ(telex_compose("Hoof,Chis.Minh"), "Hồ,Chí.Minh");
    EXPECT_EQ(telex_compose("a1s"), "a1s");
    EXPECT_EQ(telex_compose("ba-as"), "ba-á");
    EXPECT_EQ(telex_compose("Ddawks R'laaps"), "Đắk R'lấp");
}

TEST(TelexComposer, ContinuesOnPrefilledText) {
    TelexComposer c("tien");
    c.type('s');
    EXPECT_EQ(c.text(), "tiến");
    c.type('g');
    EXPECT_EQ(c.text(), "tiếng");

    TelexComposer old_style("hòa"); // old-style tone placement moves to the modern place when edited
    EXPECT_EQ(old_style.text(), "hòa");
    old_style.type('n');
    EXPECT_EQ(old_style.text(), "hoàn");

    TelexComposer name("Nguyễn Văn");
    name.type(' ');
    for (const char k : std::string("An"))
        name.type(k);
    EXPECT_EQ(name.text(), "Nguyễn Văn An");
}

TEST(TelexComposer, PrefilledTextIsNormalisedToNfc) {
    const std::string nfd = "Vie\xcc\xa3\xcc\x82t"; // e + dot below + circumflex
    TelexComposer c(nfd);
    EXPECT_EQ(c.text(), "Việt");
    EXPECT_EQ(c.length(), 4U);
    c.type('z');
    EXPECT_EQ(c.text(), "Viêt");

    TelexComposer invalid(std::string("ab\xff\xfe") + "c");
    EXPECT_EQ(invalid.text(), "abc");
}

TEST(TelexComposer, BackspaceRemovesOneVisibleCharacter) {
    TelexComposer c;
    for (const char k : std::string("Vieetj"))
        c.type(k);
    EXPECT_EQ(c.text(), "Việt");
    EXPECT_EQ(c.length(), 4U);
    c.backspace();
    EXPECT_EQ(c.text(), "Việ");
    EXPECT_EQ(c.length(), 3U);
    c.backspace();
    EXPECT_EQ(c.text(), "Vi");
    c.backspace();
    c.backspace();
    EXPECT_EQ(c.text(), "");
    c.backspace(); // on empty text: nothing
    EXPECT_EQ(c.text(), "");
    EXPECT_EQ(c.length(), 0U);

    // Decomposed prefilled text is one character per letter too.
    TelexComposer d("Vie\xcc\xa3\xcc\x82");
    d.backspace();
    EXPECT_EQ(d.text(), "Vi");
}

TEST(TelexComposer, ContinuesAfterBackspace) {
    TelexComposer c;
    for (const char k : std::string("tieens"))
        c.type(k);
    EXPECT_EQ(c.text(), "tiến");
    c.backspace();
    EXPECT_EQ(c.text(), "tiế");
    for (const char k : std::string("ng"))
        c.type(k);
    EXPECT_EQ(c.text(), "tiếng");
    c.backspace();
    c.backspace();
    c.backspace();
    EXPECT_EQ(c.text(), "ti");
    for (const char k : std::string("eenf"))
        c.type(k);
    EXPECT_EQ(c.text(), "tiền");

    // Backspace ends an undo: "aa" then backspace then "a" composes again.
    TelexComposer u;
    for (const char k : std::string("aaa"))
        u.type(k);
    EXPECT_EQ(u.text(), "aa");
    u.backspace();
    u.type('a');
    EXPECT_EQ(u.text(), "â");

    // "w" after a backspace does not undo an earlier lone w.
    TelexComposer w;
    w.type('w');
    w.backspace();
    w.type('w');
    EXPECT_EQ(w.text(), "ư");
}

TEST(TelexComposer, LengthCountsCharactersNotBytes) {
    EXPECT_EQ(TelexComposer("Nguyễn Văn An").length(), 13U);
    EXPECT_EQ(TelexComposer("Nguyễn Văn An").text().size(), 16U);
    EXPECT_EQ(TelexComposer("Đắk Lắk").length(), 7U);
    EXPECT_EQ(TelexComposer().length(), 0U);
}

TEST(TelexComposer, IgnoresNonPrintableKeysAndClears) {
    TelexComposer c;
    for (const char k : std::string("a\nb\t\x7f"))
        c.type(k);
    c.type(static_cast<char>(0xC3));
    c.type('\0');
    EXPECT_EQ(c.text(), "ab");
    c.clear();
    EXPECT_EQ(c.text(), "");
    c.type('w');
    EXPECT_EQ(c.text(), "ư");
    c.clear();
    c.type('w'); // clear ends the lone w: this w is a new ư
    EXPECT_EQ(c.text(), "ư");
}

TEST(TelexComposer, PrintableAsciiPassesThrough) {
    std::string all;
    for (char k = ' '; k <= '~'; ++k) {
        if ((k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z')) continue;
        all.push_back(k);
    }
    EXPECT_EQ(telex_compose(all), all);
}

TEST(TelexComposer, LongTextStaysFastAndLongWordsAreLiteral) {
    TelexComposer c;
    for (int i = 0; i < 2000; ++i) {
        for (const char k : std::string("Vieetj "))
            c.type(k);
    }
    EXPECT_EQ(c.length(), 2000U * 5U);
    EXPECT_EQ(c.text().substr(0, 14), "Việt Việt ");

    std::string keys(200, 'b');
    keys += "as";
    EXPECT_EQ(telex_compose(keys), keys);
    TelexComposer prefilled(std::string(300, 'x') + " tien");
    prefilled.type('s');
    EXPECT_EQ(prefilled.text(), std::string(300, 'x') + " tiến");
}

// ---- the wipe: a patient's typed text leaves no copy behind -----------------------------------------------

namespace {

// The bytes [0, capacity) of the composer's buffer (the string allocates capacity + 1).
std::string buffer_bytes(const TelexComposer& c) {
    return std::string(c.text().data(), c.text().capacity());
}

bool all_zero(std::string_view bytes) {
    return bytes.find_first_not_of('\0') == std::string_view::npos;
}

// The object representation of a composer: where a short text lives (the string's inline buffer).
template <class T> std::string object_bytes(const T& object) {
    return std::string(reinterpret_cast<const char*>(&object), sizeof object);
}

} // namespace

TEST(TelexComposerWipe, ClearOverwritesEveryByteAndKeepsTheBuffer) {
    TelexComposer c;
    for (const char key : std::string("Nguyeenx Thij Thuyf Duowng 079090001234"))
        c.type(key);
    ASSERT_EQ(c.text(), "Nguyễn Thị Thuỳ Dương 079090001234");
    for (int i = 0; i < 13; ++i) // the bytes of the number stay past size(): clear() must reach them too
        c.backspace();
    const char* const buffer = c.text().data();
    const std::size_t capacity = c.text().capacity();
    c.clear();
    EXPECT_TRUE(c.text().empty());
    EXPECT_EQ(c.text().data(), buffer) << "the buffer is kept, not freed unwiped";
    EXPECT_EQ(c.text().capacity(), capacity);
    EXPECT_TRUE(all_zero(buffer_bytes(c)));
    // And the composer works on: the next patient types into the same buffer.
    for (const char key : std::string("Anh"))
        c.type(key);
    EXPECT_EQ(c.text(), "Anh");
}

TEST(TelexComposerWipe, BackspaceOverwritesTheCharacterItRemoves) {
    TelexComposer c;
    for (const char key : std::string("Aaj"))
        c.type(key);
    ASSERT_EQ(c.text(), "Ậ"); // 3 bytes: E1 BA AC
    c.backspace();
    EXPECT_TRUE(c.text().empty());
    EXPECT_TRUE(all_zero(buffer_bytes(c).substr(0, 3)))
        << "the bytes past the terminator still held the letter";
}

TEST(TelexComposerWipe, RewritingAWordOverwritesTheLongerSpelling) {
    // z takes the tone off: the word is written again, two bytes shorter ("ạ" is 3 bytes, "a" one).
    TelexComposer c;
    for (const char key : std::string("Phajm"))
        c.type(key);
    ASSERT_EQ(c.text(), "Phạm");
    const std::size_t before = c.text().size();
    c.type('z');
    ASSERT_EQ(c.text(), "Pham");
    const std::string bytes = buffer_bytes(c);
    EXPECT_TRUE(all_zero(std::string_view(bytes).substr(c.text().size(), before - c.text().size())))
        << "the end of the longer spelling is left behind past the text";
}

TEST(TelexComposerWipe, AShortTextOutgrowingItsInlineBufferLeavesNoCopyThere) {
    TelexComposer c;
    for (const char key : std::string("0790 9000 1234"))
        c.type(key); // short enough for the string's inline buffer, inside the composer object
    for (const char key : std::string(" Nguyeenx Vawn An, Quaajn 5"))
        c.type(key); // now on the heap
    ASSERT_EQ(c.text(), "0790 9000 1234 Nguyễn Văn An, Quận 5");
    const std::string object = object_bytes(c);
    EXPECT_EQ(object.find("1234"), std::string::npos) << "the inline buffer still holds the number";
}

TEST(TelexComposerWipe, DestructorOverwritesTheText) {
    alignas(TelexComposer) std::array<unsigned char, sizeof(TelexComposer)> storage{};
    auto* c = new (storage.data()) TelexComposer();
    for (const char key : std::string("0790 1234"))
        c->type(key);
    // A short text lives inside the object: its bytes are ours to read after the destructor ran.
    const auto* text = reinterpret_cast<const unsigned char*>(c->text().data());
    ASSERT_TRUE(text >= storage.data() && text < storage.data() + storage.size())
        << "this standard library keeps short strings on the heap: the test cannot look";
    c->~TelexComposer();
    const std::string bytes(reinterpret_cast<const char*>(storage.data()), storage.size());
    EXPECT_EQ(bytes.find("1234"), std::string::npos);
    EXPECT_EQ(bytes.find("0790"), std::string::npos);
}

TEST(TelexComposerWipe, AMoveLeavesNothingInTheSource) {
    TelexComposer a;
    for (const char key : std::string("0790 1234"))
        a.type(key);
    TelexComposer b(std::move(a));
    EXPECT_EQ(b.text(), "0790 1234");
    EXPECT_EQ(object_bytes(a).find("1234"), std::string::npos); // NOLINT(bugprone-use-after-move)
    TelexComposer d;
    for (const char key : std::string("Anh"))
        d.type(key);
    d = std::move(b);
    EXPECT_EQ(d.text(), "0790 1234");
    EXPECT_EQ(object_bytes(b).find("1234"), std::string::npos); // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(b.text().empty());                              // NOLINT(bugprone-use-after-move)
    // Copies are whole composers: the source keeps its text.
    TelexComposer e(d);
    EXPECT_EQ(e.text(), d.text());
    e.type('5');
    EXPECT_EQ(d.text(), "0790 1234");
}

TEST(TelexComposerWipe, PrefilledTextIsTakenInAndTheComposerKeepsWorking) {
    TelexComposer c(std::string("Nguye\xCC\x82\xCC\x83n \xFFVa\xCC\x86n")); // decomposed, one invalid byte
    EXPECT_EQ(c.text(), "Nguyễn Văn");
    c.type('g');
    EXPECT_EQ(c.text(), "Nguyễn Văng");
}
