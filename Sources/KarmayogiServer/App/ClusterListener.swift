import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import Vapor

/// On PostgreSQL, a connection of each node's own that listens for what other nodes announce (`NOTIFY`): people who
/// changed (so cached sign-ins are forgotten), jobs added (so an idle node claims them at once). It reconnects when the
/// connection is lost, and tells each listener whether it hears, so a cache can stop trusting itself meanwhile.
final class ClusterListener: LifecycleHandler, Sendable {
    struct Channel: Sendable {
        var name: String
        var heard: @Sendable (String) -> Void
        var listening: @Sendable (Bool) -> Void = { _ in }
    }

    private let task: NIOLockedValueBox<Task<Void, Never>?> = .init(nil)

    func start(configuration: PostgresConnection.Configuration, channels: [Channel], eventLoop: any EventLoop, logger: Logger) {
        task.withLockedValue { task in
            task = Task {
                while !Task.isCancelled {
                    do {
                        let connection = try await PostgresConnection.connect(on: eventLoop, configuration: configuration, id: 0, logger: logger)
                        do {
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                for channel in channels {
                                    group.addTask {
                                        try await connection.listen(on: channel.name) { notifications in
                                            channel.listening(true)
                                            for try await notification in notifications { channel.heard(notification.payload) }
                                        }
                                    }
                                }
                                // One channel's end is the connection's: the others are stopped and all start again.
                                try await group.next()
                                group.cancelAll()
                            }
                        } catch where !Task.isCancelled {
                            logger.warning("cluster notifications: stopped listening (\(String(reflecting: error))); reconnecting")
                        }
                        try? await connection.close()
                    } catch where !Task.isCancelled {
                        logger.warning("cluster notifications: cannot listen (\(String(reflecting: error))); trying again in a second")
                    } catch {}
                    for channel in channels { channel.listening(false) }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { task in defer { task = nil }; return task }
        running?.cancel()
        await running?.value
    }
}
