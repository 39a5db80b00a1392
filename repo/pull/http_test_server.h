// File: repo/pull/http_test_server.h
//
// A small HTTP/1.1 server on 127.0.0.1 for the pull tests: it serves the
// files below a directory (GET, "Range: bytes=N-"), one request per
// connection (Connection: close), one thread per connection, and logs the
// path of every request. Drip() makes it a slow-retrieval attacker for the
// paths it names: a 206 with the headers and a few bytes of the body, then
// silence until the client hangs up. Test-only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace larch::pull::testing {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
inline int ListenLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  ::listen(fd, 64);
  return fd;
}

class HttpTestServer {
 public:
  explicit HttpTestServer(std::string root) : root_(std::move(root)) {
    listen_fd_ = ListenLoopback(&port_);
    threads_.emplace_back([this] { AcceptLoop(); });
  }
  ~HttpTestServer() {
    stop_ = true;
    // Joined one at a time: a connection thread may still add to the list.
    for (size_t i = 0;; ++i) {
      std::thread t;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (i >= threads_.size()) break;
        t = std::move(threads_[i]);
      }
      if (t.joinable()) t.join();
    }
    ::close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Requests for a path containing `needle` send `bytes` of the body and
  // stall, the first `times` of them; later ones get a quick 503.
  void Drip(std::string needle, size_t bytes, unsigned times) {
    std::lock_guard<std::mutex> lock(mu_);
    drip_needle_ = std::move(needle);
    drip_bytes_ = bytes;
    drips_left_ = times;
  }
  std::vector<std::string> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  // Waits for `fd` to be readable; false when stopping.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void AcceptLoop() {
    while (WaitReadable(listen_fd_)) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([this, fd] {
        Serve(fd);
        ::close(fd);
      });
    }
  }

  void Send(int fd, const std::string& data) {
    for (size_t done = 0; done < data.size();) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  void Serve(int fd) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && WaitReadable(fd)) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
    }
    std::istringstream in(request);
    std::string method, path;
    in >> method >> path;
    uint64_t from = 0;
    bool ranged = false;
    if (size_t r = request.find("Range: bytes="); r != std::string::npos) {
      ranged = true;
      from = std::stoull(request.substr(r + 13));
    }
    bool drip = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(path);
      if (!drip_needle_.empty() && path.find(drip_needle_) != std::string::npos) {
        if (drips_left_ == 0) return Send(fd, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        drip = true;
        --drips_left_;
      }
    }
    std::ifstream file(root_ + path, std::ios::binary);
    struct stat st;
    if (!file || ::stat((root_ + path).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Send(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (from >= size && ranged) {
      return Send(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + std::to_string(size) +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    std::string body(size - from, '\0');
    file.seekg(static_cast<std::streamoff>(from));
    file.read(body.data(), static_cast<std::streamsize>(body.size()));
    std::string head = ranged ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(from) +
                                    "-" + std::to_string(size - 1) + "/" + std::to_string(size) + "\r\n"
                              : "HTTP/1.1 200 OK\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!drip) return Send(fd, head + body);
    Send(fd, head + body.substr(0, std::min<size_t>(drip_bytes_, body.size())));
    while (WaitReadable(fd) && ::recv(fd, buf, sizeof(buf), 0) > 0) {
    }  // silence until the client hangs up
  }

  std::string root_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<std::string> requests_;
  std::string drip_needle_;
  size_t drip_bytes_ = 0;
  unsigned drips_left_ = 0;
};

}  // namespace larch::pull::testing
