export HTTPS_PROXY={{proxy-407}}
export HTTP_PROXY={{proxy-407}}
