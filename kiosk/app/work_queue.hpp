#pragma once
// Threads: the UI thread never touches SQLite (or, later, curl). A Worker runs jobs in order on its own
// thread; results come back through a MainQueue drained once per frame, which wakes the event loop.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiosk::app {

// Where a job runs: a worker thread, the UI thread's queue, or (tests) a queue run by hand.
class Executor {
public:
    virtual ~Executor() = default;
    virtual void post(std::function<void()> job) = 0;
};

class MainQueue final : public Executor {
public:
    explicit MainQueue(std::function<void()> wake) : wake_(std::move(wake)) {}
    void post(std::function<void()> fn) override {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(fn));
        }
        if (wake_) wake_();
    }
    // Runs everything posted so far on the calling (UI) thread; returns how many ran.
    std::size_t drain() {
        std::vector<std::function<void()>> jobs;
        {
            std::lock_guard lock(mutex_);
            jobs.swap(jobs_);
        }
        for (auto& job : jobs)
            job();
        return jobs.size();
    }

private:
    std::function<void()> wake_;
    std::mutex mutex_;
    std::vector<std::function<void()>> jobs_;
};

class Worker final : public Executor {
public:
    Worker() : thread_([this] { run(); }) {}
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    // Finishes the jobs already posted, then joins: a ticket being written is never cut off.
    ~Worker() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    void post(std::function<void()> job) override {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        cv_.notify_one();
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::thread thread_; // last: starts after the members it uses exist
};

} // namespace kiosk::app
