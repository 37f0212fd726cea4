// Files that hold secrets and state: created 0600 (directories 0700), new ones with O_EXCL,
// never written through a symbolic link; a stale .tmp is removed. Also what a child process is
// given of the orchestrator's environment, and the keyed hash that stands for a token on disk.
#include "core/private_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "orchestrator/child_process.hpp"
#include "security/token.hpp"

namespace hookbench {
namespace {

namespace fs = std::filesystem;

class private_files : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hookbench-private-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 0777;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  std::string dir_;
};

TEST_F(private_files, a_new_file_is_0600_and_a_stale_one_or_a_link_is_replaced) {
  const std::string path = dir_ + "/state.json.tmp";
  unique_fd fd(create_private_file(path));
  ASSERT_TRUE(fd);
  ASSERT_TRUE(write_all(fd.get(), "one"));
  EXPECT_EQ(mode_of(path), 0600u);
  // Left by a killed run: replaced, not appended to.
  unique_fd again(create_private_file(path));
  ASSERT_TRUE(again);
  ASSERT_TRUE(write_all(again.get(), "two"));
  EXPECT_EQ(read(path), "two");
  // A link planted where the file goes: the link is replaced, its target never written.
  const std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "untouched";
  fs::remove(path);
  fs::create_symlink(victim, path);
  unique_fd third(create_private_file(path));
  ASSERT_TRUE(third);
  ASSERT_TRUE(write_all(third.get(), "three"));
  EXPECT_EQ(read(victim), "untouched");
  EXPECT_FALSE(fs::is_symlink(path));
}

TEST_F(private_files, an_appended_file_is_0600_and_never_a_link) {
  const std::string path = dir_ + "/tap.jsonl";
  {
    unique_fd fd(open_private_append(path));
    ASSERT_TRUE(fd);
    ASSERT_TRUE(write_all(fd.get(), "a\n"));
  }
  {
    unique_fd fd(open_private_append(path));
    ASSERT_TRUE(write_all(fd.get(), "b\n"));
  }
  EXPECT_EQ(read(path), "a\nb\n");
  EXPECT_EQ(mode_of(path), 0600u);
  const std::string link = dir_ + "/link.jsonl";
  fs::create_symlink(path, link);
  EXPECT_FALSE(unique_fd(open_private_append(link)));
  EXPECT_EQ(errno, ELOOP);
}

TEST_F(private_files, a_state_directory_is_0700_and_not_a_link) {
  const std::string state = dir_ + "/a/b/state";
  make_private_dir(state);
  EXPECT_EQ(mode_of(state), 0700u);
  make_private_dir(state);  // existing: fine
  fs::create_directory_symlink(state, dir_ + "/link");
  EXPECT_THROW(make_private_dir(dir_ + "/link"), std::runtime_error);
  std::ofstream(dir_ + "/file") << "x";
  EXPECT_THROW(make_private_dir(dir_ + "/file"), std::runtime_error);
}

TEST_F(private_files, a_secret_is_made_once_and_read_back) {
  const std::string path = dir_ + "/owner.key";
  int made = 0;
  const auto make = [&] {
    ++made;
    return security::random_token(32);
  };
  const std::string first = read_or_create_secret(path, make);
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_or_create_secret(path, make), first);
  EXPECT_EQ(made, 1);
}

TEST_F(private_files, stale_temporary_files_are_removed_and_named) {
  std::ofstream(dir_ + "/webhooks.json.tmp") << "{half";
  std::ofstream(dir_ + "/webhooks.json") << "{}";
  const auto removed = remove_stale_temp_files(dir_);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], dir_ + "/webhooks.json.tmp");
  EXPECT_TRUE(fs::exists(dir_ + "/webhooks.json"));
  EXPECT_FALSE(fs::exists(dir_ + "/webhooks.json.tmp"));
}

TEST(child_environment, a_child_gets_what_it_is_handed_and_the_basics_only) {
  setenv("HOOKBENCH_CONTROL_TOKEN", "orchestrators-control-token", 1);
  setenv("HOOKBENCH_TOKEN", "orchestrators-own-token", 1);
  setenv("SOME_CLOUD_SECRET", "s3cr3t", 1);
  setenv("LC_ALL", "C", 1);
  const auto env = child_environment({"HOOKBENCH_TOKEN=the-runs-api-token"});
  auto has = [&](const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  EXPECT_TRUE(has("HOOKBENCH_TOKEN=the-runs-api-token"));
  EXPECT_TRUE(has("LC_ALL=C"));
  if (const char* path = std::getenv("PATH")) {
    EXPECT_TRUE(has(std::string("PATH=") + path));
  }
  for (const auto& e : env) {
    EXPECT_FALSE(e.starts_with("HOOKBENCH_CONTROL_TOKEN=")) << e;
    EXPECT_FALSE(e.starts_with("SOME_CLOUD_SECRET=")) << e;
    EXPECT_NE(e, "HOOKBENCH_TOKEN=orchestrators-own-token");
  }
  unsetenv("HOOKBENCH_CONTROL_TOKEN");
  unsetenv("SOME_CLOUD_SECRET");
  unsetenv("HOOKBENCH_TOKEN");
}

TEST(keyed_hash, stands_for_a_token_without_giving_it_away) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const auto h = security::keyed_hash(key, "api-token-1");
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, security::keyed_hash(key, "api-token-1"));
  EXPECT_NE(h, security::keyed_hash(key, "api-token-2"));
  EXPECT_NE(h, security::keyed_hash("another-key-another-key", "api-token-1"));
  EXPECT_EQ(h.find("api-token"), std::string::npos);
  // RFC 4231 test case 2.
  EXPECT_EQ(security::keyed_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace hookbench
