#!/bin/sh
docker build -t app . && docker run --rm --env-file .env app
