#pragma once
// Amounts of money in Vietnamese đồng: whole numbers (VND has no minor unit; never floating point),
// written with thousands separators and in words as invoices and receipts write them.
#include <cstdint>
#include <string>

namespace kiosk::core {

// 150000 -> "150.000 đ" (Vietnamese: '.' groups thousands).
[[nodiscard]] std::string format_vnd_vi(std::int64_t dong);
// 150000 -> "VND 150,000".
[[nodiscard]] std::string format_vnd_en(std::int64_t dong);

// 150000 -> "Một trăm năm mươi nghìn đồng"; 1000005 -> "Một triệu không trăm linh năm đồng".
// Groups of three digits read with "nghìn", "triệu", "tỷ" (and "nghìn tỷ" ... above); "linh" for a zero
// ten, "mốt", "tư"-free "bốn", "lăm" as the spoken language has them. Negative amounts are read "âm ...".
[[nodiscard]] std::string vnd_in_words_vi(std::int64_t dong);
// 150000 -> "One hundred fifty thousand dong".
[[nodiscard]] std::string vnd_in_words_en(std::int64_t dong);

} // namespace kiosk::core
