"""Background work on Huey: syncs, CSV plans and applies run as tasks, never inside a request.

The queue is built from the settings at start-up (`queue.make_huey`): SQLite storage is the
embedded default, Redis storage the networked mode. `tasks.Jobs` binds the tasks to a runtime
(database, settings, clock); `peoplesync worker` runs a consumer, `queue.InProcessConsumer` runs
one in threads beside the web app. One active run per account is the database's rule, heartbeats
show a task is alive, and a periodic reaper fails the runs of workers that died.
"""
