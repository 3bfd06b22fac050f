#include "kiosk/core/vietqr.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vq = kiosk::core::vietqr;
using vq::Initiation;
using vq::Problem;
using vq::Service;

namespace {

// Codes published by others, each checked here by its own CRC: what banking apps read today. Sources:
// the README of github.com/subiz/vietqr (1), and codes shown by public shop and payment projects (2-5).
struct Published {
    const char* text;
    vq::Payment payment;
};
const Published kPublished[] = {
    {"00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN6217081"
     "3ung"
     " ho lu lut6304C15C",
     {Initiation::Dynamic, "970415", "0011001932418", Service::ToAccount, 120000, "", "ung ho lu lut"}},
    {"00020101021238570010A000000727012700069704220113VQRQACLNP26800208QRIBFTTA530370454061000005802VN6227082"
     "3Than"
     "h toan don hang ABC6304CE4C",
     {Initiation::Dynamic, "970422", "VQRQACLNP2680", Service::ToAccount, 100000, "",
      "Thanh toan don hang ABC"}},
    {"00020101021238590010A000000727012900069704180115V3CAS62627239240208QRIBFTTA530370454063750005802VN62250"
     "821CSPZ"
     "KHEL6A2 NTK O000463044729",
     {Initiation::Dynamic, "970418", "V3CAS6262723924", Service::ToAccount, 375000, "",
      "CSPZKHEL6A2 NTK O0004"}},
    {"00020101021138510010A00000072701210006970407010797968680208QRIBFTTA53037045802VN62240820gen by "
     "sunary/vietqr63"
     "04BE74",
     {Initiation::Static, "970407", "9796868", Service::ToAccount, std::nullopt, "", "gen by sunary/vietqr"}},
    {"00020101021138540010A00000072701240006970422011008129452690208QRIBFTTA53037045802VN6304D5F3",
     {Initiation::Static, "970422", "0812945269", Service::ToAccount, std::nullopt, "", ""}},
};

// A hand-made code body with its correct checksum, for refusals that must not be caught by the CRC.
std::string with_crc(std::string body) {
    body += "6304";
    char hex[5];
    std::snprintf(hex, sizeof hex, "%04X", vq::crc16_ccitt_false(body));
    return body + hex;
}

vq::Payment hospital_bill() {
    return {Initiation::Dynamic,        "970436", "0071000123456", Service::ToAccount, 150000, "HD123",
            "Thanh toan vien phi HD123"};
}

Problem build_problem(const vq::Payment& p) {
    const vq::Built b = vq::build(p);
    EXPECT_TRUE(b.text.empty());
    return b.refusal ? b.refusal->problem : Problem::Empty;
}

Problem parse_problem(std::string_view text) {
    const vq::Parsed r = vq::parse(text);
    EXPECT_FALSE(r.payment) << text;
    return r.refusal ? r.refusal->problem : Problem::Empty;
}

} // namespace

TEST(VietQrCrc, IsCrc16CcittFalse) {
    // The catalogue check value of CRC-16/CCITT-FALSE, and the empty input (the initial value).
    EXPECT_EQ(vq::crc16_ccitt_false("123456789"), 0x29B1);
    EXPECT_EQ(vq::crc16_ccitt_false(""), 0xFFFF);
}

TEST(VietQrBuild, MatchesPublishedCodesByteForByte) {
    for (const Published& p : kPublished) {
        const vq::Built b = vq::build(p.payment);
        ASSERT_FALSE(b.refusal) << p.text << ": " << b.refusal->detail;
        EXPECT_EQ(b.text, p.text);
    }
}

TEST(VietQrParse, ReadsPublishedCodes) {
    for (const Published& p : kPublished) {
        const vq::Parsed r = vq::parse(p.text);
        ASSERT_TRUE(r.payment) << p.text << ": " << r.refusal->detail;
        EXPECT_EQ(*r.payment, p.payment) << p.text;
    }
    // A checksum written in lower case (as one published code has it) is the same checksum.
    EXPECT_TRUE(
        vq::parse(
            "00020101021138540010A00000072701240006970422011008129452690208QRIBFTTA53037045802VN6304d5f3")
            .payment);
}

TEST(VietQrRoundTrip, BuildThenParseGivesThePaymentBack) {
    vq::Payment card{Initiation::Dynamic, "970436", "9704361234567890123", Service::ToCard,
                     9999999999999,       "BN-77",  "Tam ung vien phi"};
    vq::Payment minimal{Initiation::Static, "970405", "1", Service::ToAccount, std::nullopt, "", ""};
    // NAPAS members whose BIN does not start 9704 (CAKE by VPBank, Viettel Money) are payable too.
    vq::Payment digital_bank{
        Initiation::Dynamic, "546034", "0123456789", Service::ToAccount, 50000, "", "HD9"};
    vq::Payment wallet{Initiation::Dynamic, "971005", "0987654321", Service::ToAccount, 20000, "", ""};
    for (const vq::Payment& p : {hospital_bill(), card, minimal, digital_bank, wallet}) {
        const vq::Built b = vq::build(p);
        ASSERT_FALSE(b.refusal) << b.refusal->detail;
        const vq::Parsed r = vq::parse(b.text);
        ASSERT_TRUE(r.payment) << b.text << ": " << r.refusal->detail;
        EXPECT_EQ(*r.payment, p);
    }
    // The hospital's bill, its checksum computed independently (Python, CRC-16/CCITT-FALSE).
    EXPECT_EQ(vq::build(hospital_bill()).text,
              "00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA53037045406150000"
              "5802VN62380105HD1230825Thanh toan vien phi HD1236304200F");
}

TEST(VietQrParse, EveryChangedCharacterIsCaught) {
    // Any one character changed (outside the checksum itself) breaks the checksum or the structure.
    const std::string good = vq::build(hospital_bill()).text;
    for (std::size_t i = 0; i + 4 < good.size(); ++i) {
        std::string bad = good;
        bad[i] = bad[i] == '7' ? '8' : '7';
        EXPECT_FALSE(vq::parse(bad).payment) << "position " << i;
    }
    std::string crc_changed = good;
    crc_changed.back() = crc_changed.back() == '0' ? '1' : '0';
    EXPECT_EQ(parse_problem(crc_changed), Problem::Crc);
}

TEST(VietQrParse, RefusesBrokenStructureWithItsReason) {
    EXPECT_EQ(parse_problem(""), Problem::Empty);
    EXPECT_EQ(parse_problem(std::string(513, '0')), Problem::TooLong);
    EXPECT_EQ(parse_problem("000201\n"), Problem::NotPrintableAscii);
    EXPECT_EQ(parse_problem("000201010212380A"), Problem::Malformed); // a length that is no number
    EXPECT_EQ(parse_problem("0002010102123899"), Problem::Malformed); // a length past the end
    EXPECT_EQ(parse_problem("00020101"), Problem::Malformed);         // cut inside a field's header
    // A nested length that runs past its template: 38 says 57, its 01 says 29 of the 27 there are.
    EXPECT_EQ(parse_problem(
                  with_crc("00020101021238570010A00000072701290006970415011300110019324180208QRIBFTTA5303704"
                           "5802VN")),
              Problem::Malformed);
    EXPECT_EQ(parse_problem(with_crc("000201000201")), Problem::DuplicateField);
    EXPECT_EQ(parse_problem("0002016304ABCD5802VN"), Problem::Crc); // the checksum is not last
    EXPECT_EQ(parse_problem("000201010212"), Problem::Crc);         // no checksum
    EXPECT_EQ(parse_problem("00020163040000"), Problem::Crc);       // a wrong one
    EXPECT_EQ(parse_problem(with_crc("000202")), Problem::PayloadFormat);
    EXPECT_EQ(parse_problem(with_crc("010212000201")), Problem::PayloadFormat); // 00 not first
}

TEST(VietQrParse, RefusesWrongValuesWithTheirReason) {
    const std::string merchant = "38570010A00000072701270006970415011300110019324180208QRIBFTTA";
    EXPECT_EQ(parse_problem(with_crc("000201010213" + merchant + "53037045802VN")),
              Problem::InitiationMethod);
    EXPECT_EQ(parse_problem(with_crc("000201010212"
                                     "5303704"
                                     "5802VN")),
              Problem::NotNapas);
    EXPECT_EQ(
        parse_problem(with_crc("000201010212"
                               "38570010A00000072801270006970415011300110019324180208QRIBFTTA53037045802VN")),
        Problem::NotNapas); // another GUID
    EXPECT_EQ(
        parse_problem(with_crc("000201010212"
                               "38570010A00000072701270006X70415011300110019324180208QRIBFTTA53037045802VN")),
        Problem::Bin);
    EXPECT_EQ(
        parse_problem(with_crc("000201010212"
                               "38570010A00000072701270006970415011300110019324180208QRIBFTTX53037045802VN")),
        Problem::ServiceCode);
    EXPECT_EQ(
        parse_problem(with_crc("000201010212"
                               "38570010A00000072701270006970415011300110019324180208QRIBFTTC53037045802VN")),
        Problem::Account); // a 13-digit "card"
    EXPECT_EQ(
        parse_problem(with_crc("000201010212"
                               "38570010A00000072701270006970415011300a10019324180208QRIBFTTA53037045802VN")),
        Problem::Account); // a lower-case letter
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant + "53038405802VN")), Problem::Currency);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant + "5802VN")), Problem::Currency);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant +
                                     "5303704540501000"
                                     "5802VN")),
              Problem::Amount);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant + "53037045405150.05802VN")), Problem::Amount);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant + "53037045414123456789012345802VN")),
              Problem::Amount); // 14 digits
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant + "5303704")), Problem::Country);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant + "53037045802US")), Problem::Country);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant +
                                     "53037045802VN"
                                     "62300826" +
                                     std::string(26, 'x'))),
              Problem::AdditionalData);
    EXPECT_EQ(parse_problem(with_crc("000201010212" + merchant +
                                     "53037045802VN"
                                     "620508AB")),
              Problem::Malformed); // a nested length past the end of 62
}

TEST(VietQrBuild, RefusesWhatABankAppWouldRefuse) {
    auto with = [](auto change) {
        vq::Payment p = hospital_bill();
        change(p);
        return build_problem(p);
    };
    EXPECT_EQ(with([](vq::Payment& p) { p.bin = "97043"; }), Problem::Bin);
    EXPECT_EQ(with([](vq::Payment& p) { p.bin = "97043A"; }), Problem::Bin);
    EXPECT_EQ(with([](vq::Payment& p) { p.account = ""; }), Problem::Account);
    EXPECT_EQ(with([](vq::Payment& p) { p.account = std::string(20, '1'); }), Problem::Account);
    EXPECT_EQ(with([](vq::Payment& p) { p.account = "0071-000"; }), Problem::Account);
    EXPECT_EQ(with([](vq::Payment& p) { p.service = Service::ToCard; }), Problem::Account); // 13 digits
    EXPECT_EQ(with([](vq::Payment& p) { p.amount_vnd.reset(); }), Problem::Amount);
    EXPECT_EQ(with([](vq::Payment& p) { p.amount_vnd = 0; }), Problem::Amount);
    EXPECT_EQ(with([](vq::Payment& p) { p.amount_vnd = -150000; }), Problem::Amount);
    EXPECT_EQ(with([](vq::Payment& p) { p.amount_vnd = 10000000000000; }), Problem::Amount);
    EXPECT_EQ(with([](vq::Payment& p) { p.initiation = Initiation::Static; }), Problem::Amount);
    EXPECT_EQ(with([](vq::Payment& p) { p.purpose = "Thanh toán viện phí HD123"; }), Problem::AdditionalData);
    EXPECT_EQ(with([](vq::Payment& p) { p.purpose = "Thanh toan vien phi HD1234"; }),
              Problem::AdditionalData);
    EXPECT_EQ(with([](vq::Payment& p) { p.bill_number = std::string(26, '9'); }), Problem::AdditionalData);
    EXPECT_EQ(with([](vq::Payment& p) { p.bill_number = "HD\t1"; }), Problem::AdditionalData);
}

TEST(VietQrProblems, EveryProblemHasAName) {
    for (int i = 0; i <= static_cast<int>(Problem::Crc); ++i)
        EXPECT_FALSE(vq::problem_name(static_cast<Problem>(i)).empty());
    EXPECT_EQ(vq::problem_name(Problem::Crc), "crc");
    EXPECT_EQ(vq::problem_name(Problem::Empty), "empty");
}
