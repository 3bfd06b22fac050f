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
