#include "kiosk/core/payment.hpp"

#include <gtest/gtest.h>

using kiosk::core::Bill;
using kiosk::core::payment_for;
using kiosk::core::PaymentState;
using namespace std::chrono_literals;
namespace vietqr = kiosk::core::vietqr;

namespace {
Bill bill(std::string id, std::string number, std::int64_t amount, Bill::Status s = Bill::Status::Payable) {
    Bill b;
    b.his_id = std::move(id);
    b.number = std::move(number);
    b.amount_vnd = amount;
    b.status = s;
    return b;
}
} // namespace

TEST(Payment, OneBillIsPaidUnderItsOwnNumber) {
    const auto r = payment_for({bill("inv-1", "HD123", 150000)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->amount_vnd, 150000);
    EXPECT_EQ(r->reference, "HD123");
    EXPECT_EQ(r->purpose, "Thanh toan vien phi HD123");
    EXPECT_EQ(r->bill_ids, std::vector<std::string>{"inv-1"});
}

TEST(Payment, SeveralBillsAreSummedAndTheirNumbersJoined) {
    const auto r = payment_for({bill("a", "HD2412001", 150000), bill("b", "HD2412002", 35500)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->amount_vnd, 185500);
    EXPECT_EQ(r->reference, "HD2412001+HD2412002");
    // "Thanh toan vien phi ..." would be 39 characters: the shorter form, then the reference alone.
    EXPECT_EQ(r->purpose, "HD2412001+HD2412002");
    const auto medium = payment_for({bill("a", "HD2412001", 1)});
    ASSERT_TRUE(medium);
    EXPECT_EQ(medium->purpose, "Vien phi HD2412001");
}

TEST(Payment, RefusesWhatCannotBeOneCode) {
    EXPECT_FALSE(payment_for({}));
    EXPECT_FALSE(payment_for({bill("a", "HD1", 1000, Bill::Status::Paid)}));
    EXPECT_FALSE(payment_for({bill("a", "HD1", 1000, Bill::Status::Draft)}));
    EXPECT_FALSE(payment_for({bill("a", "HD1", 0)}));
    EXPECT_FALSE(payment_for({bill("a", "HD 1", 1000)}));                                  // a space
    EXPECT_FALSE(payment_for({bill("a", "HĐ1", 1000)}));                                   // not ASCII
    EXPECT_FALSE(payment_for({bill("a", "", 1000)}));                                      // no number
    EXPECT_FALSE(payment_for({bill("a", "HD1", 9'999'999'999'999), bill("b", "HD2", 1)})); // 14 digits
    // Three long numbers do not fit the 25 characters of the bill-number field: paid one by one.
    EXPECT_FALSE(
        payment_for({bill("a", "HD2412001", 1), bill("b", "HD2412002", 1), bill("c", "HD2412003", 1)}));
    EXPECT_TRUE(payment_for({bill("a", std::string(25, '9'), 1)}));
    EXPECT_FALSE(payment_for({bill("a", std::string(26, '9'), 1)}));
}

TEST(Payment, TheCodeParsesBackToTheHospitalsAccountAndTheExactAmount) {
    kiosk::core::PaymentAccount acct{"970436", "0011004567890", vietqr::Service::ToAccount,
                                     "BENH VIEN DA KHOA DEMO", "Vietcombank"};
    const auto r = payment_for({bill("a", "HD2412001", 150000), bill("b", "HD2412002", 35500)});
    ASSERT_TRUE(r);
    const vietqr::Built built = kiosk::core::payment_code(*r, acct);
    ASSERT_FALSE(built.refusal) << built.refusal->detail;
    const vietqr::Parsed parsed = vietqr::parse(built.text);
    ASSERT_TRUE(parsed.payment) << parsed.refusal->detail;
    EXPECT_EQ(parsed.payment->bin, "970436");
    EXPECT_EQ(parsed.payment->account, "0011004567890");
    EXPECT_EQ(parsed.payment->amount_vnd, 185500);
    EXPECT_EQ(parsed.payment->bill_number, "HD2412001+HD2412002");
    EXPECT_EQ(parsed.payment->initiation, vietqr::Initiation::Dynamic);
    acct.bin = "97043";
    EXPECT_EQ(kiosk::core::payment_code(*r, acct).refusal->problem, vietqr::Problem::Bin);
}

TEST(Payment, StateOfAPaymentFollowsEveryBill) {
    using S = Bill::Status;
    EXPECT_EQ(kiosk::core::payment_state({S::Payable}), PaymentState::Waiting);
    EXPECT_EQ(kiosk::core::payment_state({S::Paid, S::Payable}), PaymentState::Waiting);
    EXPECT_EQ(kiosk::core::payment_state({S::Paid, S::Paid}), PaymentState::Paid);
    EXPECT_EQ(kiosk::core::payment_state({S::Paid, S::Cancelled}), PaymentState::Cancelled);
    EXPECT_EQ(kiosk::core::payment_state({}), PaymentState::Cancelled);
}

TEST(Payment, PollsQuicklyFirstThenLessOften) {
    EXPECT_EQ(kiosk::core::poll_delay(0, 2000ms, 30000ms), 2000ms);
    EXPECT_EQ(kiosk::core::poll_delay(1, 2000ms, 30000ms), 3000ms);
    EXPECT_EQ(kiosk::core::poll_delay(2, 2000ms, 30000ms), 4500ms);
    EXPECT_EQ(kiosk::core::poll_delay(50, 2000ms, 30000ms), 30000ms);
    EXPECT_EQ(kiosk::core::poll_delay(1000000, 2000ms, 30000ms), 30000ms);
}
