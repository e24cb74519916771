-- wrk script: POST an OpenAI completion request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"bench","prompt":"Say something short.","max_tokens":16,"temperature":0.7}'
