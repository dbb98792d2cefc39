/// When the consume loop last saw messages, probed brokers and refreshed partition positions;
/// and from that, whether `--exit-when-caught-up` may check the watermarks (nothing arrived
/// for the quiet period).
struct LoopClocks {
    /// When the run began (the connect timeout counts from here).
    let started: ContinuousClock.Instant
    let quietPeriod: Duration
    private(set) var lastArrival = ContinuousClock.now
    private(set) var firstArrival: ContinuousClock.Instant?
    private var lastProbe = ContinuousClock.now
    private var lastPositions = ContinuousClock.now - .seconds(10)

    /// Made when the loop starts polling; `started` is when the run began.
    init(started: ContinuousClock.Instant, quietPeriodMs: Int) {
        self.started = started
        quietPeriod = .milliseconds(quietPeriodMs)
    }

    mutating func noteArrival() {
        lastArrival = .now
        if firstArrival == nil { firstArrival = lastArrival }
    }

    var isQuiet: Bool { ContinuousClock.now - lastArrival >= quietPeriod }

    /// Seconds since the first message arrived (0 before).
    var activeSeconds: Double { firstArrival.map { (ContinuousClock.now - $0) / .seconds(1) } ?? 0 }

    var elapsedSeconds: Double { (ContinuousClock.now - started) / .seconds(1) }

    /// True at most once per `interval` (and at the first call for positions).
    mutating func positionsDue(every interval: Duration = .seconds(1)) -> Bool {
        guard ContinuousClock.now - lastPositions >= interval else { return false }
        lastPositions = .now
        return true
    }

    mutating func probeDue(every interval: Duration = .seconds(2)) -> Bool {
        guard ContinuousClock.now - lastProbe > interval else { return false }
        lastProbe = .now
        return true
    }
}
