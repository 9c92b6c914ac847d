// SPDX-License-Identifier: Apache-2.0
#include "auth.h"

#include <gtest/gtest.h>

namespace libindex::streaming::auth {
namespace {

TEST(Auth, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("user:pw", "user:pw"));
  EXPECT_FALSE(constant_time_equal("user:pX", "user:pw"));
  EXPECT_FALSE(constant_time_equal("user:p", "user:pw"));
  EXPECT_FALSE(constant_time_equal("user:pw2", "user:pw"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal(std::string("a\0", 2), "a")); // an embedded NUL does not end the string
}

TEST(Auth, DecodeBasic) {
  EXPECT_EQ(decode_basic("Basic dmlld2VyOnMzY3JldA=="), "viewer:s3cret");
  EXPECT_EQ(decode_basic("basic   dmlld2VyOnMzY3JldA==  "), "viewer:s3cret"); // scheme case, spaces around
  EXPECT_EQ(decode_basic("BASIC\tYTpi"), "a:b");
  EXPECT_EQ(decode_basic("Basic YTpi"), "a:b");
  EXPECT_EQ(decode_basic("Basic YTpiOmM="), "a:b:c"); // the password may hold colons
  EXPECT_EQ(decode_basic("Basic OmI="), ":b");        // an empty user decodes; it just matches nothing
  EXPECT_FALSE(decode_basic("Bearer dmlld2VyOnMzY3JldA=="));
  EXPECT_FALSE(decode_basic("Basic not*base64"));
  EXPECT_FALSE(decode_basic(""));
  EXPECT_FALSE(decode_basic("Basic"));
  EXPECT_FALSE(decode_basic("Basic "));
  EXPECT_FALSE(decode_basic("BasicYTpi")); // no space after the scheme
}

TEST(Auth, DecodeBasicRefusesTrailingJunk) {
  EXPECT_FALSE(decode_basic("Basic YTpi junk"));
  EXPECT_FALSE(decode_basic("Basic YTpi,"));
  EXPECT_FALSE(decode_basic("Basic dmlld2VyOnMzY3JldA==x"));
  EXPECT_FALSE(decode_basic("Basic dmlld2VyOnMzY3JldA==YTpi")); // data after the padding
  EXPECT_FALSE(decode_basic(std::string("Basic YTpi\0", 11)));
}

TEST(Auth, DecodeBasicRefusesBadPadding) {
  EXPECT_FALSE(decode_basic("Basic dmlld2VyOnMzY3JldA"));    // padding left out
  EXPECT_FALSE(decode_basic("Basic dmlld2VyOnMzY3JldA="));   // too little
  EXPECT_FALSE(decode_basic("Basic dmlld2VyOnMzY3JldA===")); // too much
  EXPECT_FALSE(decode_basic("Basic YTpi===="));
  EXPECT_FALSE(decode_basic("Basic YT=i"));     // '=' inside
  EXPECT_FALSE(decode_basic("Basic YTpiOmN=")); // non-zero bits under the padding ("a:b:c" is YTpiOmM=)
  EXPECT_FALSE(decode_basic("Basic YR=="));     // non-zero bits under the padding
}

TEST(Auth, DecodeBasicRefusesControlCharactersAndMissingColon) {
  EXPECT_FALSE(decode_basic("Basic dmlld2Vy")); // "viewer": no colon
  EXPECT_FALSE(decode_basic("Basic YQA6Yg==")); // "a\0:b": embedded NUL
  EXPECT_FALSE(decode_basic("Basic YTpiAA==")); // "a:b\0"
  EXPECT_FALSE(decode_basic("Basic YTpiCg==")); // "a:b\n"
  EXPECT_FALSE(decode_basic("Basic YTp/"));     // "a:\x7f"
}

TEST(Auth, OriginPolicy) {
  const std::vector<std::string> none, listed = {"https://portal.example.org", "http://LOCALHOST:3000/"}, any = {"*"};
  // No Origin header: not a browser, not a cross-site request.
  EXPECT_TRUE(origin_allowed("", "127.0.0.1:8080", false, none));
  // Same origin: scheme per TLS, host:port as in Host, case and default ports aside.
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", false, none));
  EXPECT_TRUE(origin_allowed("http://Viz.Example:8080", "viz.example:8080", false, none));
  EXPECT_TRUE(origin_allowed("http://viz.example", "viz.example:80", false, none));
  EXPECT_TRUE(origin_allowed("https://viz.example", "viz.example", true, none));
  EXPECT_TRUE(origin_allowed("https://viz.example:443", "viz.example", true, none));
  EXPECT_TRUE(origin_allowed("http://[::1]:8080", "[::1]:8080", false, none));
  EXPECT_FALSE(origin_allowed("http://[::1]", "[::1]:80:80", false, none));
  // Not the same origin.
  EXPECT_FALSE(origin_allowed("http://evil.example", "127.0.0.1:8080", false, none));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", false, none));  // other port
  EXPECT_FALSE(origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080", false, none)); // other scheme
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", true, none));
  EXPECT_FALSE(origin_allowed("http://viz.example:443", "viz.example", true, none));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8080", false, none));    // file:// and sandboxed pages
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:8080", "", false, none)); // no Host to compare with
  EXPECT_FALSE(origin_allowed("http://a@127.0.0.1:8080", "a@127.0.0.1:8080", false, none));
  EXPECT_FALSE(origin_allowed("ws://127.0.0.1:8080", "127.0.0.1:8080", false, none));
  // Listed origins, and "*".
  EXPECT_TRUE(origin_allowed("https://portal.example.org", "127.0.0.1:8080", false, listed));
  EXPECT_TRUE(origin_allowed("https://portal.example.org:443", "127.0.0.1:8080", false, listed));
  EXPECT_TRUE(origin_allowed("http://localhost:3000", "127.0.0.1:8080", false, listed));
  EXPECT_FALSE(origin_allowed("http://portal.example.org", "127.0.0.1:8080", false, listed));
  EXPECT_FALSE(origin_allowed("https://portal.example.org.evil.example", "127.0.0.1:8080", false, listed));
  EXPECT_TRUE(origin_allowed("http://evil.example", "127.0.0.1:8080", false, any));
  EXPECT_TRUE(origin_allowed("null", "127.0.0.1:8080", false, any));
  EXPECT_TRUE(origin_allowed("null", "127.0.0.1:8080", false, {"null"}));
}

TEST(Auth, OriginPatterns) {
  EXPECT_TRUE(valid_origin_pattern("*"));
  EXPECT_TRUE(valid_origin_pattern("null"));
  EXPECT_TRUE(valid_origin_pattern("https://portal.example.org"));
  EXPECT_TRUE(valid_origin_pattern("http://localhost:3000/"));
  EXPECT_FALSE(valid_origin_pattern("portal.example.org"));
  EXPECT_FALSE(valid_origin_pattern("https://portal.example.org/app"));
  EXPECT_FALSE(valid_origin_pattern("ftp://x"));
  EXPECT_FALSE(valid_origin_pattern(""));
}

TEST(Auth, CookieValue) {
  EXPECT_EQ(cookie_value("a=1; libindex_token=xyz; b=2", "libindex_token"), "xyz");
  EXPECT_EQ(cookie_value("libindex_token=xyz", "libindex_token"), "xyz");
  EXPECT_FALSE(cookie_value("xlibindex_token=xyz", "libindex_token"));
  EXPECT_FALSE(cookie_value("", "libindex_token"));
}

} // namespace
} // namespace libindex::streaming::auth
