"""Tests of travel times: road graphs, closures, OpenStreetMap input and the Dijkstra backends."""
