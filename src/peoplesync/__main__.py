from peoplesync.cli import main

main()
