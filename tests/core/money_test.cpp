#include "kiosk/core/money.hpp"
#include "kiosk/core/text.hpp"

#include <gtest/gtest.h>

#include <limits>

using kiosk::core::format_vnd_en;
using kiosk::core::format_vnd_vi;
using kiosk::core::vnd_in_words_en;
using kiosk::core::vnd_in_words_vi;

TEST(Money, GroupsThousandsAsEachLanguageWritesThem) {
    EXPECT_EQ(format_vnd_vi(0), "0 đ");
    EXPECT_EQ(format_vnd_vi(999), "999 đ");
    EXPECT_EQ(format_vnd_vi(150000), "150.000 đ");
    EXPECT_EQ(format_vnd_vi(1000005), "1.000.005 đ");
    EXPECT_EQ(format_vnd_vi(2150000000), "2.150.000.000 đ");
    EXPECT_EQ(format_vnd_en(150000), "VND 150,000");
    EXPECT_EQ(format_vnd_en(-1000), "VND -1,000");
    EXPECT_EQ(format_vnd_vi(std::numeric_limits<std::int64_t>::min()), "-9.223.372.036.854.775.808 đ");
}

TEST(Money, VietnameseWordsReadAsInvoicesWriteThem) {
    EXPECT_EQ(vnd_in_words_vi(0), "Không đồng");
    EXPECT_EQ(vnd_in_words_vi(1000), "Một nghìn đồng");
    EXPECT_EQ(vnd_in_words_vi(1000005), "Một triệu không trăm linh năm đồng");
    EXPECT_EQ(vnd_in_words_vi(2150000000), "Hai tỷ một trăm năm mươi triệu đồng");
    EXPECT_EQ(vnd_in_words_vi(150000), "Một trăm năm mươi nghìn đồng");
    // The spoken forms of units after tens: mười lăm, hai mươi mốt, hai mươi lăm; "linh" for a zero ten.
    EXPECT_EQ(vnd_in_words_vi(15), "Mười lăm đồng");
    EXPECT_EQ(vnd_in_words_vi(11), "Mười một đồng");
    EXPECT_EQ(vnd_in_words_vi(21), "Hai mươi mốt đồng");
    EXPECT_EQ(vnd_in_words_vi(25), "Hai mươi lăm đồng");
    EXPECT_EQ(vnd_in_words_vi(105), "Một trăm linh năm đồng");
    EXPECT_EQ(vnd_in_words_vi(110), "Một trăm mười đồng");
    EXPECT_EQ(vnd_in_words_vi(1010), "Một nghìn không trăm mười đồng");
    EXPECT_EQ(vnd_in_words_vi(35500), "Ba mươi lăm nghìn năm trăm đồng");
    EXPECT_EQ(vnd_in_words_vi(1000000000000), "Một nghìn tỷ đồng");
    EXPECT_EQ(vnd_in_words_vi(-5000), "Âm năm nghìn đồng");
}

TEST(Money, EnglishWords) {
    EXPECT_EQ(vnd_in_words_en(0), "Zero dong");
    EXPECT_EQ(vnd_in_words_en(1000), "One thousand dong");
    EXPECT_EQ(vnd_in_words_en(1000005), "One million five dong");
    EXPECT_EQ(vnd_in_words_en(2150000000), "Two billion one hundred fifty million dong");
    EXPECT_EQ(vnd_in_words_en(150000), "One hundred fifty thousand dong");
    EXPECT_EQ(vnd_in_words_en(35521), "Thirty-five thousand five hundred twenty-one dong");
}

TEST(Text, FoldToAsciiDropsVietnameseDiacritics) {
    using kiosk::core::fold_to_ascii;
    EXPECT_EQ(fold_to_ascii("Thanh toán viện phí HD123"), "Thanh toan vien phi HD123");
    EXPECT_EQ(fold_to_ascii("Đặng Thị Ngọc Hường, đường Lê Lợi"), "Dang Thi Ngoc Huong, duong Le Loi");
    EXPECT_EQ(fold_to_ascii("Nguye\xcc\x82\xcc\x83n"), "Nguyen"); // decomposed input
    EXPECT_EQ(fold_to_ascii("phí 50€"), "phi 50");                // no ASCII base: dropped
    EXPECT_EQ(fold_to_ascii("\xff"), std::nullopt);
}
