#include "kiosk/core/bank_list.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using kiosk::core::parse_bank_list;

TEST(BankList, TheShippedNapasListIsCleanAndHasTheBigBanks) {
    std::ifstream in(std::string(KIOSK_SOURCE_DIR) + "/assets/payment/napas-banks.tsv");
    ASSERT_TRUE(in) << "assets/payment/napas-banks.tsv";
    std::stringstream text;
    text << in.rdbuf();
    const auto list = parse_bank_list(text.str());
    EXPECT_TRUE(list.problems.empty()) << list.problems.front().line << ": " << list.problems.front().message;
    EXPECT_GE(list.banks.size(), 50U);
    // The BINs of real VietQR codes (tests/core/vietqr_test.cpp) and of the four state-owned banks.
    for (const char* bin : {"970436", "970415", "970418", "970405", "970422", "970407"})
        EXPECT_NE(list.find(bin), nullptr) << bin;
    ASSERT_NE(list.find("970436"), nullptr);
    EXPECT_EQ(list.find("970436")->short_name, "Vietcombank");
    EXPECT_EQ(list.find("970436")->name, "Ngân hàng TMCP Ngoại Thương Việt Nam");
    EXPECT_EQ(list.find("123456"), nullptr);
}

TEST(BankList, EveryBadLineIsReportedWithItsNumberAndTheRestIsRead) {
    const auto list = parse_bank_list("# comment\n"
                                      "970436\tVCB\tVietcombank\tNgân hàng TMCP Ngoại Thương Việt Nam\r\n"
                                      "\n"
                                      "97043\tX\tX\tshort BIN\n"
                                      "970436\tVCB\tAgain\tlisted twice\n"
                                      "970415\tICB\tVietinBank\n"
                                      "970418\t\tBIDV\tan empty code\n"
                                      "970422\tMB\tMBBank\tNgân hàng TMCP Quân đội");
    ASSERT_EQ(list.banks.size(), 2U);
    EXPECT_EQ(list.banks[0].name, "Ngân hàng TMCP Ngoại Thương Việt Nam"); // the \r is not part of it
    EXPECT_EQ(list.banks[1].bin, "970422");
    ASSERT_EQ(list.problems.size(), 4U);
    EXPECT_EQ(list.problems[0].line, 4);
    EXPECT_NE(list.problems[0].message.find("6 digits"), std::string::npos);
    EXPECT_EQ(list.problems[1].line, 5);
    EXPECT_NE(list.problems[1].message.find("twice"), std::string::npos);
    EXPECT_EQ(list.problems[2].line, 6);
    EXPECT_EQ(list.problems[3].line, 7);
}
