#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One plain-HTTP GET with a deadline: container health checks (`emr probe`; the image then
/// needs no curl or wget) and the cluster view's requests to other instances. Only `http://`
/// URLs; the answer's status and its body (Content-Length or chunked).
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
        let answer = try fetch(timeoutSeconds: timeoutSeconds, maxBytes: maxBody + 1_024)
        return Answer(status: answer.status, body: String(decoding: answer.body.prefix(maxBody), as: UTF8.self))
    }

    /// The whole answer: status and body (de-chunked), failing when it is longer than
    /// `maxBytes`. `headers` are added to the request (e.g. `Authorization`).
    public func fetch(timeoutSeconds: Double, maxBytes: Int, headers: [String: String] = [:]) throws(Failure) -> (status: Int, body: [UInt8]) {
        let socket = try connect(timeoutSeconds: timeoutSeconds)
        defer { close(socket) }
        let extra = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\r\n" }.joined()
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: emr\r\nAccept: */*\r\n\(extra)Connection: close\r\n\r\n"
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "\(endpoint): sending the request failed: \(Self.errorText())") }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var complete = false
        while received.count <= maxBytes {
            let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if n == 0 { complete = true; break }
            guard n > 0 else {
                if received.isEmpty { throw Failure(description: "\(endpoint): no answer within \(timeoutSeconds) s: \(Self.errorText())") }
                break
            }
            received += chunk[0..<n]
        }
        return try parse(received, complete: complete, maxBytes: maxBytes)
    }

    private var endpoint: String { "\(host):\(port)" }

    /// Status line, headers and body; a body cut short (timeout, or over `maxBytes`) is
    /// refused when its length was announced (Content-Length or chunks).
    private func parse(_ bytes: [UInt8], complete: Bool, maxBytes: Int) throws(Failure) -> (status: Int, body: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        let headerEnd = bytes.firstRange(of: separator)
        let head = String(decoding: bytes[..<(headerEnd?.lowerBound ?? bytes.endIndex)], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure(description: "\(endpoint): not an HTTP answer: \(String(head.prefix(80)).debugDescription)")
        }
        var body = Array(bytes[(headerEnd?.upperBound ?? bytes.endIndex)...])
        func header(_ name: String) -> String? {
            lines.dropFirst().first { $0.lowercased().hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        if header("transfer-encoding")?.lowercased() == "chunked" {
            body = try dechunk(body)
        } else if let length = header("content-length").flatMap(Int.init) {
            guard body.count >= length else { throw Failure(description: "\(endpoint): answer cut short (\(body.count) of \(length) bytes, at most \(maxBytes) read)") }
            body = Array(body.prefix(length))
        } else if !complete && bytes.count > maxBytes {
            body = Array(body.prefix(maxBytes))
        }
        return (status, body)
    }

    /// The body of a chunked answer; fails when the chunks stop before the last (empty) one.
    private func dechunk(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        var index = bytes.startIndex
        let crlf: [UInt8] = [13, 10]
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: crlf),
                  let size = Int(String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) else {
                throw Failure(description: "\(endpoint): chunked answer cut short after \(out.count) bytes")
            }
            if size == 0 { return out }
            let start = lineEnd.upperBound
            guard bytes.count >= start + size else { throw Failure(description: "\(endpoint): chunked answer cut short after \(out.count) bytes") }
            out += bytes[start..<(start + size)]
            index = start + size + 2
        }
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
