#include "kiosk/core/announcement.hpp"

#include <gtest/gtest.h>

using namespace kiosk::core;

TEST(SpokenTicketNumber, LettersByNameAndEveryDigitIncludingLeadingZeros) {
    EXPECT_EQ(spoken_ticket_number_vi("AA-015"), "a, a, không một năm");
    EXPECT_EQ(spoken_ticket_number_vi("A-001"), "a, không không một");
    EXPECT_EQ(spoken_ticket_number_vi("KB-120"), "ca, bê, một hai không");
    EXPECT_EQ(spoken_ticket_number_vi("yw-7"), "i dài, vê kép, bảy"); // lower case read as capitals
    EXPECT_EQ(spoken_ticket_number_en("AA-015"), "ay, ay, zero one five");
    EXPECT_EQ(spoken_ticket_number_en("HW-900"), "aitch, double you, nine zero zero");
    // Anything else is left out rather than spelt as a symbol.
    EXPECT_EQ(spoken_ticket_number_vi("A#1 2"), "a, một, hai");
    EXPECT_EQ(spoken_ticket_number_vi(""), "");
}

TEST(SpokenName, NumbersInPlaceNamesAreReadAsNumbers) {
    EXPECT_EQ(spoken_name_vi("Phòng 204"), "Phòng hai trăm linh bốn");
    EXPECT_EQ(spoken_name_vi("Quầy 3"), "Quầy ba");
    EXPECT_EQ(spoken_name_vi("Khu B, tầng 1"), "Khu B, tầng một");
    EXPECT_EQ(spoken_name_vi("Quầy 15"), "Quầy mười lăm");
    EXPECT_EQ(spoken_name_vi("Quầy 05"), "Quầy không năm"); // a label with a leading zero: digit by digit
    EXPECT_EQ(spoken_name_en("Room 204"), "Room two hundred four");
    EXPECT_EQ(spoken_name_en("Counter 21"), "Counter twenty-one");
}

TEST(CallAnnouncement, TheWholeSentenceInBothLanguages) {
    const CallPoint counter{"Quầy 3", "Counter 3"};
    EXPECT_EQ(call_announcement_vi("AA-015", counter), "Mời số a, a, không một năm, đến Quầy ba.");
    EXPECT_EQ(call_announcement_en("AA-015", counter),
              "Number ay, ay, zero one five, please go to Counter three.");
    const CallPoint room{"Phòng khám 204", "Clinic room 204"};
    EXPECT_EQ(call_announcement_vi("B-007", room),
              "Mời số bê, không không bảy, đến Phòng khám hai trăm linh bốn.");
}

namespace {
const CallPoint kCounter3{"Quầy 3", "Counter 3"};
const CallPoint kCounter5{"Quầy 5", "Counter 5"};
constexpr UnixMillis kSecond = 1000;
AnnouncementQueue::Policy two_repeats() {
    return {.repeats = 2, .repeat_after_ms = 30 * kSecond};
}
} // namespace

TEST(AnnouncementQueue, ASecondCallNeverCutsOffTheFirst) {
    AnnouncementQueue q(two_repeats());
    q.call("AA-001", kCounter3, 0);
    const auto first = q.next(0);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->ticket, "AA-001");
    EXPECT_EQ(first->time, 0);
    q.call("AA-002", kCounter5, 1 * kSecond);
    EXPECT_FALSE(q.next(2 * kSecond)); // AA-001 is still being spoken
    EXPECT_FALSE(q.next_due());
    q.spoken(4 * kSecond);
    const auto second = q.next(4 * kSecond);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->ticket, "AA-002");
    EXPECT_EQ(second->where, kCounter5);
}

TEST(AnnouncementQueue, AnUnansweredCallIsRepeatedThenMissed) {
    AnnouncementQueue q(two_repeats());
    q.call("AA-001", kCounter3, 0);
    ASSERT_TRUE(q.next(0));
    q.spoken(3 * kSecond);
    EXPECT_FALSE(q.next(10 * kSecond));
    EXPECT_EQ(q.next_due(), 33 * kSecond); // 30 s after it ended
    auto again = q.next(33 * kSecond);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->time, 1);
    q.spoken(36 * kSecond);
    again = q.next(66 * kSecond);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->time, 2);
    q.spoken(69 * kSecond);
    EXPECT_FALSE(q.next(200 * kSecond)); // two repeats, no third
    EXPECT_TRUE(q.take_missed(98 * kSecond).empty());
    EXPECT_EQ(q.take_missed(99 * kSecond), std::vector<std::string>{"AA-001"});
    EXPECT_EQ(q.waiting(), 0U);
    EXPECT_FALSE(q.next_due());
}

TEST(AnnouncementQueue, AnAnsweredCallIsNeitherRepeatedNorMissed) {
    AnnouncementQueue q(two_repeats());
    q.call("AA-001", kCounter3, 0);
    ASSERT_TRUE(q.next(0));
    q.answered("AA-001"); // arrived while it was being spoken
    q.spoken(3 * kSecond);
    EXPECT_FALSE(q.next(40 * kSecond));
    EXPECT_TRUE(q.take_missed(1000 * kSecond).empty());
    EXPECT_FALSE(q.next_due());
}

TEST(AnnouncementQueue, FirstCallsGoBeforeRepeats) {
    AnnouncementQueue q(two_repeats());
    q.call("AA-001", kCounter3, 0);
    ASSERT_TRUE(q.next(0));
    q.spoken(3 * kSecond); // its repeat is due at 33 s
    q.call("AA-002", kCounter5, 40 * kSecond);
    auto n = q.next(40 * kSecond);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->ticket, "AA-002");
    q.spoken(43 * kSecond);
    n = q.next(43 * kSecond);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->ticket, "AA-001");
    EXPECT_EQ(n->time, 1);
}

TEST(AnnouncementQueue, CalledAgainIsNothingNewUnlessThePlaceChanged) {
    AnnouncementQueue q(two_repeats());
    q.call("AA-001", kCounter3, 0);
    ASSERT_TRUE(q.next(0));
    q.spoken(3 * kSecond);
    q.call("AA-001", kCounter3, 5 * kSecond); // the HIS says it again on its next poll
    EXPECT_FALSE(q.next(6 * kSecond));
    EXPECT_EQ(q.waiting(), 1U);
    q.call("AA-001", kCounter5, 7 * kSecond); // sent to another counter: a new call
    const auto n = q.next(7 * kSecond);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->time, 0);
    EXPECT_EQ(n->where, kCounter5);
}

TEST(AnnouncementQueue, AMissedNumberCanBeCalledAgain) {
    AnnouncementQueue q({.repeats = 0, .repeat_after_ms = 10 * kSecond});
    q.call("AA-001", kCounter3, 0);
    ASSERT_TRUE(q.next(0));
    q.spoken(2 * kSecond);
    EXPECT_EQ(q.next_due(), 12 * kSecond); // the moment it counts as missed
    EXPECT_EQ(q.take_missed(12 * kSecond), std::vector<std::string>{"AA-001"});
    q.call("AA-001", kCounter3, 100 * kSecond); // the patient rejoined at a kiosk
    const auto n = q.next(100 * kSecond);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->time, 0);
}
