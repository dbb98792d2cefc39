import Foundation

/// Paces a stream: at most `rate` records per second, and/or event time compressed by
/// `speedup` (one hour of event time per hour / speedup of wall time). With neither, no waits.
public struct Pacer: Sendable {
    public var rate: Double?
    public var speedup: Double?
    private var start: ContinuousClock.Instant?
    private var firstEventTime: Int64?
    private var sent = 0

    public init(rate: Double?, speedup: Double?) {
        self.rate = rate
        self.speedup = speedup
    }

    /// How long to wait before sending the next record with this event time.
    public mutating func delay(eventTime: Int64?, now: ContinuousClock.Instant = .now) -> Duration {
        if start == nil { start = now }
        defer { sent += 1 }
        var due = start!
        if let rate, rate > 0 {
            due = max(due, start! + .seconds(Double(sent) / rate))
        }
        if let speedup, speedup > 0, let eventTime {
            if firstEventTime == nil { firstEventTime = eventTime }
            due = max(due, start! + .seconds(Double(eventTime - firstEventTime!) / speedup))
        }
        return due > now ? due - now : .zero
    }
}
