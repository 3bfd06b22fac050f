// Touch behaviour of the widgets, driven through a headless ImGui context frame by frame.
#include "kiosk/ui/widgets.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace kiosk::ui;

namespace {

class HeadlessImGui : public ::testing::Test {
protected:
    void SetUp() override {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(800, 600);
        io.DeltaTime = 1.0f / 60.0f;
        io.Fonts->AddFontDefault();
        unsigned char* px = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    }
    void TearDown() override { ImGui::DestroyContext(); }

    // One frame of a 300 px high list of 20 buttons, 60 px each, with drag-scroll. Returns the clicked index.
    int frame(ImVec2 mouse, bool down) {
        ImGuiIO& io = ImGui::GetIO();
        io.MousePos = mouse;
        io.MouseDown[0] = down;
        ImGui::NewFrame();
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(io.DisplaySize);
        ImGui::Begin("root", nullptr, ImGuiWindowFlags_NoDecoration);
        ImGui::BeginChild("list", ImVec2(400, 300));
        int clicked = -1;
        for (int i = 0; i < 20; ++i)
            if (big_button(targets, "item." + std::to_string(i), "Item", nullptr, ImVec2(380, 60),
                           Tone::Secondary, ImGui::GetFont(), ImGui::GetFont()))
                clicked = i;
        drag_scroll(scroll, 16.0f);
        scroll_y = ImGui::GetScrollY();
        ImGui::EndChild();
        ImGui::End();
        ImGui::Render();
        return clicked;
    }

    TapTargets targets;
    DragScroll scroll;
    float scroll_y = 0;
};

} // namespace

TEST_F(HeadlessImGui, TapClicksTheButtonUnderTheFinger) {
    frame(ImVec2(-FLT_MAX, -FLT_MAX), false);
    const auto c = targets.center("item.1");
    ASSERT_TRUE(c);
    EXPECT_EQ(frame(*c, true), -1);
    EXPECT_EQ(frame(*c, false), 1);
    EXPECT_FLOAT_EQ(scroll_y, 0.0f);
}

TEST_F(HeadlessImGui, SmallJitterIsStillATap) {
    frame(ImVec2(-FLT_MAX, -FLT_MAX), false);
    const ImVec2 c = *targets.center("item.2");
    frame(c, true);
    frame(ImVec2(c.x, c.y - 6), true);
    EXPECT_EQ(frame(ImVec2(c.x, c.y - 6), false), 2);
    EXPECT_FLOAT_EQ(scroll_y, 0.0f);
}

TEST_F(HeadlessImGui, DragScrollsTheListAndCancelsTheButton) {
    frame(ImVec2(-FLT_MAX, -FLT_MAX), false);
    const ImVec2 start = *targets.center("item.3");
    int clicked = frame(start, true);
    for (int step = 1; step <= 10; ++step) {
        const int c = frame(ImVec2(start.x, start.y - 15.0f * static_cast<float>(step)), true);
        if (c >= 0) clicked = c;
    }
    EXPECT_GT(scroll_y, 100.0f); // ImGui applies SetScrollY on the next frame
    const int on_release = frame(ImVec2(start.x, start.y - 150.0f), false);
    EXPECT_NEAR(scroll_y, 150.0f, 1.0f);
    EXPECT_EQ(on_release, -1);
    EXPECT_EQ(clicked, -1);
    // After the drag, a plain tap works again and hits the item now under the finger.
    frame(ImVec2(-FLT_MAX, -FLT_MAX), false);
    const auto c = targets.center("item.5");
    ASSERT_TRUE(c);
    frame(*c, true);
    EXPECT_EQ(frame(*c, false), 5);
}

TEST_F(HeadlessImGui, ScrolledOutItemsAreNotTapTargets) {
    frame(ImVec2(-FLT_MAX, -FLT_MAX), false);
    EXPECT_TRUE(targets.center("item.0"));
    EXPECT_FALSE(targets.center("item.15"));
}

TEST(QrCode, EncodesAndRejectsNothingReasonable) {
    const auto qr = QrCode::encode("BVDK-DEMO-20261124-KBH-A001");
    ASSERT_TRUE(qr);
    EXPECT_GE(qr->width, 21);
    EXPECT_EQ(qr->dark.size(), static_cast<std::size_t>(qr->width * qr->width));
    // Finder pattern corner: the top-left module is dark.
    EXPECT_EQ(qr->dark[0], 1);
}

TEST(TapTargetsFit, ButtonOutsideTheDisplayDoesNotFitButAListItemScrolledAwayDoes) {
    TapTargets t;
    const ImVec2 display(1920, 1080);
    t.add("inside", ImVec2(10, 10), ImVec2(200, 100));
    t.add("below", TapTarget{ImVec2(10, 1000), ImVec2(200, 1150)});
    t.add("right", TapTarget{ImVec2(1800, 10), ImVec2(1990, 100)});
    TapTarget item{ImVec2(10, 1000), ImVec2(200, 1400), ImVec2(0, 200), ImVec2(400, 1040)};
    item.in_list = true;
    t.add("list.item", item);
    TapTarget list_off{ImVec2(10, 1000), ImVec2(200, 1100), ImVec2(0, 200), ImVec2(400, 1100)};
    list_off.in_list = true;
    t.add("list.off", list_off);
    TapTarget cramped{ImVec2(10, 10), ImVec2(200, 40)};
    cramped.text_overflows = true;
    t.add("cramped", cramped);

    EXPECT_FALSE(t.misfit("inside", display));
    EXPECT_EQ(t.misfit("below", display).value_or(""), "it ends 70 px below the screen");
    EXPECT_EQ(t.misfit("right", display).value_or(""), "it ends 70 px right of the screen");
    EXPECT_FALSE(t.misfit("list.item", display));
    EXPECT_EQ(t.misfit("list.off", display).value_or(""), "its list ends 20 px below the screen");
    EXPECT_EQ(t.misfit("cramped", display).value_or(""), "its label is larger than the button");
    EXPECT_FALSE(t.misfit("cramped", display, TapTargets::Check::Position));
    EXPECT_EQ(t.misfit("nothing", display).value_or(""), "not drawn on this screen");
    // A finger reaches the visible part of a list item only.
    ASSERT_TRUE(t.center("list.item"));
    EXPECT_FLOAT_EQ(t.center("list.item")->y, 1020.0f);
}

TEST_F(HeadlessImGui, ButtonWithALabelLargerThanItselfIsMarked) {
    ImGuiIO& io = ImGui::GetIO();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("root", nullptr, ImGuiWindowFlags_NoDecoration);
    big_button(targets, "roomy", "OK", nullptr, ImVec2(300, 100), Tone::Primary, ImGui::GetFont(),
               ImGui::GetFont());
    big_button(targets, "flat", "OK", "a second line", ImVec2(300, 12), Tone::Primary, ImGui::GetFont(),
               ImGui::GetFont());
    big_button(targets, "narrow", "Supercalifragilistic", nullptr, ImVec2(30, 100), Tone::Primary,
               ImGui::GetFont(), ImGui::GetFont());
    ImGui::End();
    ImGui::Render();
    EXPECT_FALSE(targets.misfit("roomy", io.DisplaySize));
    EXPECT_TRUE(targets.misfit("flat", io.DisplaySize));
    EXPECT_TRUE(targets.misfit("narrow", io.DisplaySize));
}
