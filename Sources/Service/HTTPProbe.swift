#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One plain-HTTP GET with a deadline, for container health checks (`emr probe`): the image
/// then needs no curl or wget. Only `http://` URLs; the answer's status and the start of its body.
public struct HTTPProbe: Sendable {
    /// What the server answered.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: String
    }

    /// Why no answer came.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let host: String
    public let port: UInt16
    public let path: String

    /// Parses `http://HOST[:PORT][/PATH][?QUERY]`.
    public init(url text: String) throws(Failure) {
        guard let url = URL(string: text), url.scheme?.lowercased() == "http", let host = url.host, !host.isEmpty else {
            throw Failure(description: "\(text): not an http://HOST[:PORT]/PATH URL")
        }
        guard (url.port ?? 80) > 0 && (url.port ?? 80) <= 65_535 else { throw Failure(description: "\(text): port out of range") }
        self.host = host
        self.port = UInt16(url.port ?? 80)
        let path = url.path.isEmpty ? "/" : url.path
        self.path = url.query.map { "\(path)?\($0)" } ?? path
    }

    /// Connects, sends the request and reads the answer (at most `maxBody` bytes of body).
    public func get(timeoutSeconds: Double, maxBody: Int = 4_096) throws(Failure) -> Answer {
        let socket = try connect(timeoutSeconds: timeoutSeconds)
        defer { close(socket) }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: emr-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "\(endpoint): sending the request failed: \(Self.errorText())") }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while received.count < maxBody + 1_024 {
            let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else {
                if received.isEmpty { throw Failure(description: "\(endpoint): no answer within \(timeoutSeconds) s: \(Self.errorText())") }
                break
            }
            received += chunk[0..<n]
        }
        return try parse(received, maxBody: maxBody)
    }

    private var endpoint: String { "\(host):\(port)" }

    private func parse(_ bytes: [UInt8], maxBody: Int) throws(Failure) -> Answer {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let statusLine = parts[0].components(separatedBy: "\r\n")[0].split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure(description: "\(endpoint): not an HTTP answer: \(String(text.prefix(80)).debugDescription)")
        }
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        return Answer(status: status, body: String(body.prefix(maxBody)))
    }

    private func connect(timeoutSeconds: Double) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "\(endpoint): cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var timeout = timeval(tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1e6))
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = Self.errorText(); continue }
            // On Linux the send timeout also bounds connect().
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = Self.errorText()
            close(fd)
        }
        throw Failure(description: "\(endpoint): cannot connect: \(lastError)")
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
