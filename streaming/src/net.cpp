// SPDX-License-Identifier: Apache-2.0
#include "net.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace libindex::streaming::net {

bool is_wildcard(const std::string& bind) { return bind.empty() || bind == "0.0.0.0" || bind == "::"; }

bool is_loopback(const std::string& bind) {
  std::string name = bind;
  for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (name == "localhost") return true;
  in_addr a4{};
  if (inet_pton(AF_INET, bind.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (inet_pton(AF_INET6, bind.c_str(), &a6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

bool is_ipv4(const std::string& bind) {
  in_addr a{};
  return inet_pton(AF_INET, bind.c_str(), &a) == 1;
}

std::string why_listen_fails(const std::string& bind, int port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  const std::string host = is_wildcard(bind) ? "0.0.0.0" : bind;
  if (auto* a4 = reinterpret_cast<sockaddr_in*>(&addr); inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(uint16_t(port));
    len = sizeof(sockaddr_in);
  } else if (auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
             inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(uint16_t(port));
    len = sizeof(sockaddr_in6);
  } else {
    return "'" + bind + "' is not an IP address of this host";
  }
  const int fd = ::socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); // as libwebsockets does
  std::string why;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 1) != 0) why = std::strerror(errno);
  ::close(fd);
  return why.empty() ? "libwebsockets refused it (see the [viewer] lines above)" : why;
}

std::string usable_host(const std::string& bind) {
  if (!is_wildcard(bind)) return bind.find(':') != std::string::npos ? "[" + bind + "]" : bind;
  std::string found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
      if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
      char text[INET_ADDRSTRLEN] = {};
      if (inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof(text))) found = text;
    }
    ::freeifaddrs(list);
  }
  if (!found.empty()) return found;
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) == 0 && name[0]) return name;
  return "localhost";
}

} // namespace libindex::streaming::net
