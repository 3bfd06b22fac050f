#include "kiosk/ui/flow.hpp"

#include "ui/flow_helpers.hpp"

#include <gtest/gtest.h>

using namespace kiosk::ui;
using namespace kiosk::ui::testing;

namespace {
kiosk::core::Ticket a_ticket() {
    kiosk::core::Ticket t;
    t.reference = "S-20261124-KBH-A001";
    t.display_number = "AA-001";
    t.service_code = "KBH";
    return t;
}
std::uint64_t issue_request(const Effects& e) {
    return work_of<fx::IssueTicket>(e).request;
}
} // namespace

TEST(Flow, StartsOnWelcomeInTheDefaultLanguage) {
    Flow f(Language::En);
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_EQ(f.session().language, Language::En);
    EXPECT_FALSE(f.in_session());
}

TEST(Flow, QueueTicketJourney) {
    Flow f(Language::Vi);
    EXPECT_TRUE(no_effect(f.handle(ev::TapFeature{Feature::QueueTicket})));
    EXPECT_EQ(f.screen(), Screen::ChooseService);
    const Effects e = f.handle(ev::ChooseService{"KBH"});
    ASSERT_TRUE(holds_only<fx::IssueTicket>(e));
    EXPECT_EQ(std::get<fx::IssueTicket>(e.front()).service_code, "KBH");
    EXPECT_EQ(f.screen(), Screen::IssuingTicket);
    f.handle(ev::TicketStored{issue_request(e), a_ticket()});
    EXPECT_EQ(f.screen(), Screen::TicketIssued);
    ASSERT_TRUE(f.queue().ticket);
    EXPECT_EQ(f.queue().ticket->display_number, "AA-001");
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.queue().ticket);
}

TEST(Flow, FeaturesNotBuiltYetStayOnWelcome) {
    // Pay without a [payment] account is not offered either.
    for (Feature feat : {Feature::BookAppointment, Feature::CheckIn, Feature::Pay}) {
        Flow f(Language::Vi);
        EXPECT_FALSE(f.offers(feat));
        f.handle(ev::TapFeature{feat});
        EXPECT_EQ(f.screen(), Screen::Welcome);
    }
    EXPECT_TRUE(Flow(Language::Vi).offers(Feature::QueueTicket));
}

TEST(Flow, DoubleTapOnAServiceIssuesOneTicket) {
    Flow f(Language::Vi);
    f.handle(ev::TapFeature{Feature::QueueTicket});
    EXPECT_TRUE(holds_only<fx::IssueTicket>(f.handle(ev::ChooseService{"KBH"})));
    EXPECT_TRUE(no_effect(f.handle(ev::ChooseService{"KBH"})));
}

TEST(Flow, IdleTimeoutClearsEverythingAndIgnoresLateResults) {
    Flow f(Language::Vi);
    f.handle(ev::SetLanguage{Language::En});
    EXPECT_TRUE(f.in_session());
    f.handle(ev::TapFeature{Feature::QueueTicket});
    const auto req = issue_request(f.handle(ev::ChooseService{"KBH"}));
    f.handle(ev::IdleTimeout{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_EQ(f.session().language, Language::Vi);
    EXPECT_TRUE(f.queue().service_code.empty());
    EXPECT_FALSE(f.in_session());
    // The ticket written before the reset must not pop up for the next patient.
    f.handle(ev::TicketStored{req, a_ticket()});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.queue().ticket);
}

TEST(Flow, StaleResultFromAnEarlierRequestIsIgnored) {
    Flow f(Language::Vi);
    f.handle(ev::TapFeature{Feature::QueueTicket});
    const auto first = issue_request(f.handle(ev::ChooseService{"KBH"}));
    f.handle(ev::TicketFailed{first});
    EXPECT_EQ(f.screen(), Screen::TicketFailed);
    const auto second = issue_request(f.handle(ev::Retry{}));
    EXPECT_NE(first, second);
    EXPECT_EQ(f.queue().service_code, "KBH");
    f.handle(ev::TicketStored{first, a_ticket()});
    EXPECT_EQ(f.screen(), Screen::IssuingTicket);
    f.handle(ev::TicketStored{second, a_ticket()});
    EXPECT_EQ(f.screen(), Screen::TicketIssued);
}

TEST(Flow, BackReturnsToWelcomeKeepingTheLanguage) {
    Flow f(Language::Vi);
    f.handle(ev::SetLanguage{Language::En});
    f.handle(ev::TapFeature{Feature::QueueTicket});
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_EQ(f.session().language, Language::En);
}

TEST(Flow, ScreenNamesAreDistinct) {
    EXPECT_STREQ(screen_name(Screen::Welcome), "welcome");
    EXPECT_STREQ(screen_name(Screen::ChooseService), "choose_service");
    EXPECT_STREQ(screen_name(Screen::TicketIssued), "ticket");
}
