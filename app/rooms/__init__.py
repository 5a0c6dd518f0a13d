"""The HTTP and websocket edge of rooms: join links, the seat websocket, the organiser's board."""
