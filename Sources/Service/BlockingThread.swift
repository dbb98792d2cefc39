import Foundation
import ServiceLifecycle
import Synchronization

/// Runs blocking work (the consume loop, a whole pipeline) on a thread of its own and awaits
/// it, so it never occupies the concurrency pool that serves HTTP.
public enum BlockingThread {
    public static func run(name: String, _ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            let thread = Thread {
                do { try body(); done.resume() } catch { done.resume(throwing: error) }
            }
            thread.name = name
            thread.start()
        }
    }

    /// A lifecycle service's blocking work: `body` runs on a thread of its own and watches
    /// `stop`, which turns true on graceful shutdown (after `onShutdown`, e.g. turning not
    /// ready) or when the task is cancelled; the call returns when `body` does.
    public static func runUntilShutdown(name: String, onShutdown: @escaping @Sendable () -> Void = {},
                                        _ body: @escaping @Sendable (StopRequest) throws -> Void) async throws {
        let stop = StopRequest()
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await run(name: name) { try body(stop) }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            onShutdown()
            stop.request()
        }
    }
}

/// Set once a blocking service is asked to stop; its loop checks ``isRequested`` between steps.
public final class StopRequest: Sendable {
    private let value = Atomic(false)

    public init() {}

    public func request() { value.store(true, ordering: .relaxed) }

    public var isRequested: Bool { value.load(ordering: .relaxed) }
}
