#pragma once
// Whole numbers in words, as Vietnamese and English speakers read them: for amounts on receipts
// (core/money.hpp) and for the numbers the queue board calls out (core/announcement.hpp).
#include <cstdint>
#include <string>
#include <string_view>

namespace kiosk::core {

// 1000005 -> "một triệu không trăm linh năm": groups of three digits with "nghìn", "triệu", "tỷ" (then
// "nghìn tỷ", ...); inner zero hundreds spoken ("không trăm"), "linh" for a zero ten, "mốt" and "lăm" as
// spoken after tens. Lower case.
[[nodiscard]] std::string number_in_words_vi(std::uint64_t n);
// 1000005 -> "one million five"; 35521 -> "thirty-five thousand five hundred twenty-one". Lower case.
[[nodiscard]] std::string number_in_words_en(std::uint64_t n);
// One digit 0-9 on its own: "không" / "zero" (throws std::out_of_range above 9).
[[nodiscard]] std::string_view digit_word_vi(unsigned digit);
[[nodiscard]] std::string_view digit_word_en(unsigned digit);

} // namespace kiosk::core
