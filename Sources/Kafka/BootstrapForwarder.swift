#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A fixed bootstrap port for the embedded broker (`emr broker --port`): listens on loopback
/// and relays each connection to a broker of the mock cluster, whose own ports are picked by
/// the system. Clients bootstrap here; the cluster's metadata then points them at its brokers'
/// real (loopback) addresses. One thread per connection; for development and containers that
/// share the host's network, not for production.
public final class BootstrapForwarder: Sendable {
    private let listener: Int32
    /// The address clients use, `127.0.0.1:PORT`.
    public let address: String

    /// Binds `127.0.0.1:port` and starts relaying to `upstream` (`host:port`).
    public init(port: UInt16, upstream: String, logger: Logger) throws(KafkaError) {
        let parts = upstream.split(separator: ":")
        guard parts.count == 2, let upstreamPort = UInt16(parts[1]) else {
            throw KafkaError(.embeddedBroker, message: "cannot relay to \(upstream): not host:port")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw KafkaError(.embeddedBroker, message: "socket(): \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw KafkaError(.embeddedBroker, message: "cannot listen on 127.0.0.1:\(port): \(reason)")
        }
        self.listener = fd
        self.address = "127.0.0.1:\(port)"
        let target = Self.loopback(port: upstreamPort)
        let accepting = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // the listener was closed
                }
                let relay = Thread { Self.relay(client, to: target, logger: logger) }
                relay.start()
            }
        }
        accepting.name = "emr-broker-port"
        accepting.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Copies bytes both ways until either side closes.
    private static func relay(_ client: Int32, to target: sockaddr_in, logger: Logger) {
        defer { close(client) }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard upstream >= 0 else { return }
        defer { close(upstream) }
        var target = target
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            logger.warning("bootstrap port: cannot reach the embedded broker: \(String(cString: strerror(errno)))")
            return
        }
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1_024)
        while true {
            guard poll(&fds, 2, -1) > 0 else {
                if errno == EINTR { continue }
                return
            }
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                let from = entry.fd
                let to = index == 0 ? upstream : client
                let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { return }
                var sent = 0
                while sent < n {
                    let m = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                    guard m > 0 else { return }
                    sent += m
                }
            }
        }
    }
}
